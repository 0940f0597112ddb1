#!/usr/bin/env node
// Checks workspace metadata that could otherwise drift by hand, in the workspace of the current
// directory (`packages/*`, `apps/*`):
// - every package has package.json, tsconfig.json, README.md (and, under packages/,
//   tsconfig.build.json and src/index.ts) and a layer rank (LAYERS below);
// - every export entry of a package has `source`, `types` and `default` conditions that match
//   each other (src/X.ts <-> dist/X.d.ts <-> dist/X.js) and the source file exists;
// - every `@flexpaxos/*` import in a package's src/test/bench/examples names a declared
//   dependency, goes through a declared export (no deep imports) and points down: to a package
//   of a lower layer (never up, never sideways); declared dependencies point down too;
// - the pure packages build without Node's types (`"types": []` in tsconfig.build.json);
// - `src/index.ts` has no `export *`.
// Prints every problem and exits 1 when there is any.
// `scripts/test/check-workspace.test.ts` runs it against fake workspaces.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Layer of every workspace package: a package may depend on packages of lower layers only.
 * The order follows ARCHITECTURE.md ("Layers"): the pure core at the bottom, adapters and the
 * client above it, the test tools (checker, sim) above what they check, the apps on top.
 * Packages of one layer do not depend on each other.
 */
const LAYERS = [
  ['@flexpaxos/quorum'],
  ['@flexpaxos/lease'],
  ['@flexpaxos/paxos'],
  ['@flexpaxos/kv'],
  ['@flexpaxos/checker', '@flexpaxos/storage-rocksdb', '@flexpaxos/transport-nats'],
  ['@flexpaxos/client'],
  ['@flexpaxos/sim'],
  ['@flexpaxos/server', '@flexpaxos/bench'],
  // Runs the built server's processes under faults.
  ['@flexpaxos/nemesis'],
];
const RANK = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank])));

/** Packages that must compile without Node (their build has `"types": []`). */
const PURE = new Set(['@flexpaxos/quorum', '@flexpaxos/lease', '@flexpaxos/paxos', '@flexpaxos/kv']);

const problems = [];
const dirs = ['packages', 'apps']
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).map((n) => join(d, n)))
  .filter((d) => statSync(d).isDirectory() && existsSync(join(d, 'package.json')));

const pkgs = new Map();
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pkgs.set(pkg.name, { dir, pkg });
  for (const f of ['tsconfig.json', 'README.md']) {
    if (!existsSync(join(dir, f))) problems.push(`${dir}: missing ${f}`);
  }
  if (dir.startsWith('packages/')) {
    for (const f of ['tsconfig.build.json', 'src/index.ts']) {
      if (!existsSync(join(dir, f))) problems.push(`${dir}: missing ${f}`);
    }
    if (!pkg.name?.startsWith('@flexpaxos/')) problems.push(`${dir}: package name must be @flexpaxos/*`);
  }
  if (!RANK.has(pkg.name)) {
    problems.push(`${dir}: ${pkg.name} has no layer: add it to LAYERS in scripts/check-workspace.mjs`);
  }
  if (PURE.has(pkg.name)) {
    const build = join(dir, 'tsconfig.build.json');
    const types = existsSync(build) ? JSON.parse(readFileSync(build, 'utf8')).compilerOptions?.types : undefined;
    if (!Array.isArray(types) || types.length > 0) {
      problems.push(`${build}: a pure package builds without Node's types: set "types": []`);
    }
  }
  for (const [sub, entry] of Object.entries(pkg.exports ?? {})) {
    if (typeof entry !== 'object') {
      problems.push(`${dir}: export "${sub}" must be an object with source/types/default`);
      continue;
    }
    const { source, types, default: def } = entry;
    if (!source || !types || !def) {
      problems.push(`${dir}: export "${sub}" needs source, types and default conditions`);
      continue;
    }
    const stem = source.replace(/^\.\/src\//, '').replace(/\.ts$/, '');
    if (types !== `./dist/${stem}.d.ts` || def !== `./dist/${stem}.js`) {
      problems.push(`${dir}: export "${sub}" conditions disagree: ${source} / ${types} / ${def}`);
    }
    if (!existsSync(join(dir, source))) problems.push(`${dir}: export "${sub}" source ${source} does not exist`);
  }
  const index = join(dir, 'src/index.ts');
  if (existsSync(index) && /export \*/.test(readFileSync(index, 'utf8'))) {
    problems.push(`${index}: use explicit named exports, not export *`);
  }
}

/** Why `from` may not depend on `to`, or undefined when it may. */
function layerProblem(from, to) {
  const a = RANK.get(from);
  const b = RANK.get(to);
  if (a === undefined || b === undefined) return undefined; // reported above, or not ours
  if (b > a) return `points up (layer ${b} above ${from}'s ${a})`;
  if (b === a) return `points sideways (both in layer ${a})`;
  return undefined;
}

function walk(d, out = []) {
  if (!existsSync(d)) return out;
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (n === 'node_modules' || n === 'dist') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(n)) out.push(p);
  }
  return out;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](@flexpaxos\/[a-z0-9-]+)(\/[^'"]*)?['"]/g;

for (const { dir, pkg } of pkgs.values()) {
  const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies };
  for (const name of Object.keys(deps)) {
    const why = layerProblem(pkg.name, name);
    if (why !== undefined) problems.push(`${dir}/package.json: dependency on ${name} ${why}`);
  }
  const files = ['src', 'test', 'bench', 'examples'].flatMap((sub) => walk(join(dir, sub)));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const [, name, sub] = m;
      if (name === pkg.name) {
        if (file.startsWith(join(dir, 'src'))) {
          problems.push(`${file}: imports its own package by name (${name}); use a relative import`);
        }
        continue;
      }
      if (!(name in deps)) problems.push(`${file}: imports ${name} which ${dir}/package.json does not declare`);
      const why = layerProblem(pkg.name, name);
      if (why !== undefined) problems.push(`${file}: import of ${name} ${why}`);
      const target = pkgs.get(name);
      const key = sub ? `.${sub}` : '.';
      if (target && !(key in (target.pkg.exports ?? {}))) {
        problems.push(`${file}: deep import ${name}${sub ?? ''} is not an export of ${name}`);
      }
    }
  }
}

for (const p of problems) console.error(`workspace: ${p}`);
if (problems.length > 0) process.exit(1);
console.log(`workspace: ${pkgs.size} packages consistent`);
