// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Pure packages: deterministic, sans-IO. No clock, timers, randomness, process, console,
 * Node built-ins, NATS or RocksDB. Time arrives as ticks and randomness is injected.
 */
const PURE_PACKAGES = ['quorum', 'paxos', 'lease', 'kv'];

const pureRestrictedGlobals = [
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
  'console',
  'Promise',
  'fetch',
  'require',
].map((name) => ({ name, message: `pure packages may not use ${name}: inject it instead` }));

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
    files: PURE_PACKAGES.map((p) => `packages/${p}/src/**/*.ts`),
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
          patterns: [
            { group: ['node:*'], message: 'pure packages may not import Node built-ins' },
            { group: ['@nats-io/*', 'nats'], message: 'pure packages may not import NATS' },
            {
              group: ['@nxtedition/rocksdb', 'rocksdb', 'rocksdb-native'],
              message: 'pure packages may not import RocksDB',
            },
            {
              group: ['fs', 'os', 'path', 'crypto', 'child_process', 'net', 'timers', 'worker_threads'],
              message: 'pure packages may not import Node built-ins',
            },
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
    files: PURE_PACKAGES.map((p) => `packages/${p}/src/**/*.ts`),
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'FunctionDeclaration[async=true]', message: 'pure packages contain no Promises' },
        { selector: 'ArrowFunctionExpression[async=true]', message: 'pure packages contain no Promises' },
        { selector: 'FunctionExpression[async=true]', message: 'pure packages contain no Promises' },
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
