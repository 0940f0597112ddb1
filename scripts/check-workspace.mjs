#!/usr/bin/env node
// Checks workspace metadata that could otherwise drift by hand:
// - every package has package.json, tsconfig.json, tsconfig.build.json, README.md, src/index.ts;
// - every export entry of a package has `source`, `types` and `default` conditions that match
//   each other (src/X.ts <-> dist/X.d.ts <-> dist/X.js) and the source file exists;
// - every `@flexpaxos/*` import in a package's src/test names a declared dependency and goes
//   through a declared export (no deep imports);
// - `src/index.ts` has no `export *`.
// Prints every problem and exits 1 when there is any.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

for (const { dir, pkg } of pkgs.values()) {
  const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies };
  for (const file of [...walk(join(dir, 'src')), ...walk(join(dir, 'test')), ...walk(join(dir, 'bench'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+['"](@flexpaxos\/[a-z0-9-]+)(\/[^'"]*)?['"]/g)) {
      const [, name, sub] = m;
      if (name === pkg.name) {
        if (file.startsWith(join(dir, 'src'))) {
          problems.push(`${file}: imports its own package by name (${name}); use a relative import`);
        }
        continue;
      }
      if (!(name in deps)) problems.push(`${file}: imports ${name} which ${dir}/package.json does not declare`);
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
