// scripts/check-workspace.mjs against small fake workspaces in temporary directories: a
// consistent one passes, and each kind of drift it exists to catch is reported.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-workspace.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface FakePackage {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  /** Extra files by path inside the package; src/index.ts defaults to `export {};`. */
  readonly files?: Readonly<Record<string, string>>;
  readonly buildTypes?: readonly string[] | undefined;
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes a workspace with one directory per package under packages/ (or apps/ for `apps/...` keys). */
function workspace(packages: Readonly<Record<string, FakePackage>>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-workspace-'));
  made.push(root);
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const [dir, p] of Object.entries(packages)) {
    const base = dir.includes('/') ? dir : `packages/${dir}`;
    write(
      `${base}/package.json`,
      JSON.stringify({
        name: p.name,
        type: 'module',
        exports: {
          '.': { source: './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
        },
        dependencies: p.dependencies ?? {},
      }),
    );
    write(`${base}/README.md`, `# ${p.name}\n`);
    write(`${base}/tsconfig.json`, '{}');
    write(
      `${base}/tsconfig.build.json`,
      JSON.stringify({ compilerOptions: { types: p.buildTypes ?? [] } }),
    );
    write(`${base}/src/index.ts`, 'export {};\n');
    for (const [path, text] of Object.entries(p.files ?? {})) write(`${base}/${path}`, text);
  }
  return root;
}

function check(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [script], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const quorum: FakePackage = { name: '@flexpaxos/quorum' };
const lease: FakePackage = {
  name: '@flexpaxos/lease',
  dependencies: { '@flexpaxos/quorum': 'workspace:*' },
  files: { 'src/index.ts': "export { countingQuorum } from '@flexpaxos/quorum';\n" },
};

describe('scripts/check-workspace.mjs', () => {
  it('passes the repository itself', () => {
    const r = check(repoRoot);
    expect(r.out).toMatch(/workspace: \d+ packages consistent/);
    expect(r.status).toBe(0);
  });

  it('passes a workspace whose imports all point down', () => {
    const r = check(workspace({ quorum, lease }));
    expect(r.out).toContain('workspace: 2 packages consistent');
    expect(r.status).toBe(0);
  });

  it('reports an import and a dependency that point up', () => {
    const root = workspace({
      lease,
      paxos: { name: '@flexpaxos/paxos' },
      quorum: {
        name: '@flexpaxos/quorum',
        dependencies: { '@flexpaxos/paxos': 'workspace:*' },
        files: {
          'src/uses-paxos.ts':
            "import type { Replica } from '@flexpaxos/paxos';\nexport type R = Replica;\n",
        },
      },
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      'packages/quorum/src/uses-paxos.ts: import of @flexpaxos/paxos points up',
    );
    expect(r.out).toContain(
      'packages/quorum/package.json: dependency on @flexpaxos/paxos points up',
    );
  });

  it('reports a sideways import between packages of one layer, also from tests', () => {
    const root = workspace({
      'storage-rocksdb': { name: '@flexpaxos/storage-rocksdb' },
      'transport-nats': {
        name: '@flexpaxos/transport-nats',
        dependencies: { '@flexpaxos/storage-rocksdb': 'workspace:*' },
        files: { 'test/x.test.ts': "import '@flexpaxos/storage-rocksdb';\n" },
      },
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      'packages/transport-nats/test/x.test.ts: import of @flexpaxos/storage-rocksdb points sideways',
    );
  });

  it('reports an undeclared import and a deep import', () => {
    const root = workspace({
      quorum,
      lease: {
        name: '@flexpaxos/lease',
        files: { 'src/index.ts': "export { x } from '@flexpaxos/quorum/src/x.js';\n" },
      },
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      'imports @flexpaxos/quorum which packages/lease/package.json does not declare',
    );
    expect(r.out).toContain(
      'deep import @flexpaxos/quorum/src/x.js is not an export of @flexpaxos/quorum',
    );
  });

  it('reports a package without a layer', () => {
    const r = check(workspace({ quorum, extra: { name: '@flexpaxos/extra' } }));
    expect(r.status).toBe(1);
    expect(r.out).toContain('@flexpaxos/extra has no layer');
  });

  it("reports a pure package that builds with Node's types", () => {
    const r = check(workspace({ quorum: { name: '@flexpaxos/quorum', buildTypes: ['node'] } }));
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      "packages/quorum/tsconfig.build.json: a pure package builds without Node's types",
    );
  });

  it('reports export * in src/index.ts', () => {
    const r = check(
      workspace({
        quorum: {
          name: '@flexpaxos/quorum',
          files: { 'src/index.ts': "export * from './a.js';\n" },
        },
      }),
    );
    expect(r.status).toBe(1);
    expect(r.out).toContain('use explicit named exports');
  });
});
