#!/usr/bin/env node
// Runs the whole vitest suite once and ends with the plain line `N passed, N failed`.
// Extra arguments go to vitest (for example a path filter).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const out = '.test-results.json';
rmSync(out, { force: true });
const args = [
  'exec', 'vitest', 'run',
  '--reporter=default', '--reporter=json', `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const run = spawnSync('pnpm', args, { stdio: 'inherit' });
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0 ? 0 : 0);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A file that fails to load has no tests in it: count it as a failure so it cannot hide.
  const broken = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  failed += broken;
} catch (e) {
  console.error(`could not read ${out}: ${e instanceof Error ? e.message : String(e)}`);
  failed += 1;
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
