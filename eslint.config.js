// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Pure packages: deterministic, sans-IO. No clock, timers, randomness, process, console,
 * Node built-ins, NATS or RocksDB. Time arrives as ticks and randomness is injected.
 * `scripts/test/lint-fences.test.ts` proves that each rule below fires.
 */
const PURE_PACKAGES = ['quorum', 'paxos', 'lease', 'kv'];
const PURE_SOURCES = PURE_PACKAGES.map((p) => `packages/${p}/src/**/*.ts`);

/**
 * Deterministic tools: the simulator and the linearizability checker read no real clock,
 * start no timer and draw no unseeded randomness; the clock for the checker's time budget is
 * injected. Only their command-line entry points (`src/cli.ts`) touch the real world.
 */
const CLOCKLESS_SOURCES = ['packages/sim/src/**/*.ts', 'packages/checker/src/**/*.ts'];
const CLOCKLESS_ENTRY_POINTS = ['packages/sim/src/cli.ts', 'packages/checker/src/cli.ts'];

/** Globals that read a clock, start a timer or reach the process. */
const clockAndTimers = [
  'Date',
  'performance',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'process',
];

/** @param {string} scope @returns {(name: string) => { name: string, message: string }} */
const restricted = (scope) => (name) => ({ name, message: `${scope} may not use ${name}: inject it instead` });

const pureRestrictedGlobals = [
  ...[...clockAndTimers, 'console', 'Promise', 'fetch', 'require', 'crypto', 'global', 'globalThis'].map(
    restricted('pure packages'),
  ),
  { name: 'Buffer', message: 'pure packages may not use Buffer: use Uint8Array' },
  {
    name: 'structuredClone',
    message: 'pure packages may not use structuredClone: it is a host API; copy explicitly',
  },
];

const clocklessRestrictedGlobals = [...clockAndTimers, 'crypto'].map(
  restricted('the simulator and the checker (outside src/cli.ts)'),
);

/** Node's built-in modules by bare name (`fs`, `fs/promises`, `worker_threads`, ...). */
const nodeBuiltinPaths = builtinModules
  .filter((name) => !name.startsWith('_'))
  .map((name) => ({ name, message: 'pure packages may not import Node built-ins' }));

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'coverage/**', '.flexpaxos/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', '*.ts', 'scripts/*.mjs', '.ci/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
    },
  },
  {
    files: PURE_SOURCES,
    rules: {
      'no-restricted-globals': ['error', ...pureRestrictedGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'inject a random source' },
        { object: 'globalThis', message: 'pure packages may not reach for globals' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltinPaths,
          patterns: [
            { group: ['node:*'], message: 'pure packages may not import Node built-ins' },
            { group: ['@nats-io/*', 'nats'], message: 'pure packages may not import NATS' },
            {
              group: ['@nxtedition/rocksdb', 'rocksdb', 'rocksdb-native'],
              message: 'pure packages may not import RocksDB',
            },
          ],
        },
      ],
    },
  },
  {
    files: CLOCKLESS_SOURCES,
    ignores: CLOCKLESS_ENTRY_POINTS,
    rules: {
      'no-restricted-globals': ['error', ...clocklessRestrictedGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use the seeded Prng' },
        { object: 'globalThis', property: 'performance', message: 'inject the clock' },
        { object: 'globalThis', property: 'Date', message: 'inject the clock' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['perf_hooks', 'timers', 'timers/promises'].map((name) => ({
            name,
            message: 'inject the clock',
          })),
          patterns: [
            { group: ['node:perf_hooks', 'node:timers', 'node:timers/*'], message: 'inject the clock' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'use string-literal unions or as-const objects' },
        { selector: 'TSModuleDeclaration[kind="namespace"]', message: 'no namespaces' },
      ],
    },
  },
  {
    files: PURE_SOURCES,
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'FunctionDeclaration[async=true]', message: 'pure packages contain no Promises' },
        { selector: 'ArrowFunctionExpression[async=true]', message: 'pure packages contain no Promises' },
        { selector: 'FunctionExpression[async=true]', message: 'pure packages contain no Promises' },
        { selector: 'AwaitExpression', message: 'pure packages contain no Promises' },
        { selector: 'ImportExpression', message: 'pure packages load no modules at run time' },
        { selector: 'TSEnumDeclaration', message: 'use string-literal unions or as-const objects' },
        { selector: 'TSModuleDeclaration[kind="namespace"]', message: 'no namespaces' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
