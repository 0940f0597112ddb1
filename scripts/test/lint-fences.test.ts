// The ESLint fences around the pure packages and the deterministic tools, proven to fire:
// each snippet is linted as if it were a file at the given path (nothing is written to disk),
// with the repository's own eslint.config.js. Type-aware rules are switched off for speed;
// every fence is a syntactic rule.
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({
  cwd: root,
  overrideConfig: tseslint.configs.disableTypeChecked as Linter.Config,
});

/** The fence messages (`no-restricted-*` rules) ESLint reports for `code` at `path`. */
async function fences(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  if (result === undefined) throw new Error(`no lint result for ${path}`);
  const fatal = result.messages.filter((m) => m.fatal === true);
  expect(fatal, `${path} must parse`).toEqual([]);
  return result.messages
    .filter((m) => m.ruleId?.startsWith('no-restricted-') === true)
    .map((m) => `${m.ruleId ?? ''}: ${m.message}`);
}

/** Snippets every pure package refuses, with the rule that refuses them. */
const PURE_VIOLATIONS: readonly (readonly [string, string])[] = [
  ['export const t = Date.now();', "no-restricted-globals: Unexpected use of 'Date'"],
  ['export const d = new Date();', "no-restricted-globals: Unexpected use of 'Date'"],
  ['export const t = performance.now();', "no-restricted-globals: Unexpected use of 'performance'"],
  ['setTimeout(() => 0, 1);', "no-restricted-globals: Unexpected use of 'setTimeout'"],
  ['setInterval(() => 0, 1);', "no-restricted-globals: Unexpected use of 'setInterval'"],
  ['setImmediate(() => 0);', "no-restricted-globals: Unexpected use of 'setImmediate'"],
  ['queueMicrotask(() => 0);', "no-restricted-globals: Unexpected use of 'queueMicrotask'"],
  ['export const e = process.env;', "no-restricted-globals: Unexpected use of 'process'"],
  ["console.log('x');", "no-restricted-globals: Unexpected use of 'console'"],
  ['export const r = Math.random();', "no-restricted-properties: 'Math.random' is restricted"],
  ["export const b = Buffer.from('x');", "no-restricted-globals: Unexpected use of 'Buffer'"],
  ['export const u = crypto.randomUUID();', "no-restricted-globals: Unexpected use of 'crypto'"],
  [
    'export const c = structuredClone({});',
    "no-restricted-globals: Unexpected use of 'structuredClone'",
  ],
  ['export const p = Promise.resolve(1);', "no-restricted-globals: Unexpected use of 'Promise'"],
  [
    'export async function f(): Promise<void> {}',
    'no-restricted-syntax: pure packages contain no Promises',
  ],
  [
    'export const f = async (): Promise<void> => {};',
    'no-restricted-syntax: pure packages contain no Promises',
  ],
  [
    "export const m = import('x');",
    'no-restricted-syntax: pure packages load no modules at run time',
  ],
  [
    'export const g = globalThis.setTimeout;',
    "no-restricted-properties: 'globalThis.setTimeout' is restricted",
  ],
  [
    "import { readFileSync } from 'node:fs';\nexport { readFileSync };",
    "no-restricted-imports: 'node:fs' import is restricted",
  ],
  ["import fs from 'fs';\nexport { fs };", "no-restricted-imports: 'fs' import is restricted"],
  [
    "import { Worker } from 'worker_threads';\nexport { Worker };",
    "no-restricted-imports: 'worker_threads' import is restricted",
  ],
  [
    "import { connect } from '@nats-io/transport-node';\nexport { connect };",
    "no-restricted-imports: '@nats-io/transport-node' import is restricted",
  ],
  [
    "import { RocksLevel } from '@nxtedition/rocksdb';\nexport { RocksLevel };",
    "no-restricted-imports: '@nxtedition/rocksdb' import is restricted",
  ],
];

describe('eslint.config.js: the pure-package fence', () => {
  it.each(PURE_VIOLATIONS)('refuses %j in packages/kv/src', async (code, expected) => {
    const found = await fences('packages/kv/src/fence-probe.ts', code);
    expect(
      found.some((m) => m.startsWith(expected)),
      found.join('\n'),
    ).toBe(true);
  });

  it.each(['quorum', 'paxos', 'lease', 'kv'])(
    'covers every source file of packages/%s',
    async (pkg) => {
      for (const path of [
        `packages/${pkg}/src/fence-probe.ts`,
        `packages/${pkg}/src/deep/nested/probe.ts`,
      ]) {
        const found = await fences(
          path,
          "export const b = Buffer.from('x');\nexport const t = Date.now();",
        );
        expect(found).toHaveLength(2);
      }
    },
  );

  it('lets pure code through untouched', async () => {
    const code = [
      "import { countingQuorum } from '@flexpaxos/quorum';",
      "import { helper } from './helper.js';",
      'export const q = countingQuorum({ members: [1, 2, 3], replication: 2 });',
      'export const n = Math.max(1, helper(new Uint8Array(4).length));',
    ].join('\n');
    expect(await fences('packages/paxos/src/fence-probe.ts', code)).toEqual([]);
  });

  it('leaves tests of pure packages and the adapters alone', async () => {
    const code = PURE_VIOLATIONS.map(([snippet]) => snippet)
      .filter((snippet) => !snippet.startsWith('import'))
      .join('\n');
    for (const path of [
      'packages/kv/test/fence-probe.test.ts',
      'packages/client/src/fence-probe.ts',
      'apps/server/src/fence-probe.ts',
    ]) {
      expect(await fences(path, code), path).toEqual([]);
    }
  });
});

/** Snippets the simulator and the checker refuse outside their CLI. */
const CLOCKLESS_VIOLATIONS: readonly (readonly [string, string])[] = [
  ['export const t = performance.now();', "no-restricted-globals: Unexpected use of 'performance'"],
  ['export const t = Date.now();', "no-restricted-globals: Unexpected use of 'Date'"],
  [
    'export const t = globalThis.performance.now();',
    "no-restricted-properties: 'globalThis.performance' is restricted",
  ],
  ['setTimeout(() => 0, 1);', "no-restricted-globals: Unexpected use of 'setTimeout'"],
  ['export const r = Math.random();', "no-restricted-properties: 'Math.random' is restricted"],
  ['export const u = crypto.randomUUID();', "no-restricted-globals: Unexpected use of 'crypto'"],
  [
    "import { performance } from 'node:perf_hooks';\nexport { performance };",
    "no-restricted-imports: 'node:perf_hooks' import is restricted",
  ],
  [
    "import { performance } from 'perf_hooks';\nexport { performance };",
    "no-restricted-imports: 'perf_hooks' import is restricted",
  ],
];

describe('eslint.config.js: no real clock in the simulator and the checker', () => {
  it.each(CLOCKLESS_VIOLATIONS)(
    'refuses %j in packages/sim/src and packages/checker/src',
    async (code, expected) => {
      for (const path of [
        'packages/sim/src/fence-probe.ts',
        'packages/checker/src/models/fence-probe.ts',
      ]) {
        const found = await fences(path, code);
        expect(
          found.some((m) => m.startsWith(expected)),
          `${path}\n${found.join('\n')}`,
        ).toBe(true);
      }
    },
  );

  it('allows the real clock in their CLIs and tests', async () => {
    const code = CLOCKLESS_VIOLATIONS.map(([snippet]) => snippet)
      .join('\n')
      .replaceAll('export { performance };', '');
    for (const path of [
      'packages/sim/src/cli.ts',
      'packages/checker/src/cli.ts',
      'packages/sim/test/fence-probe.test.ts',
    ]) {
      expect(
        await fences(path, code.replace("import { performance } from 'perf_hooks';", '')),
        path,
      ).toEqual([]);
    }
  });
});
