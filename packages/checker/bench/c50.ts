/**
 * Measures the checker on the hard Porcupine histories (`kv/c50-*`): 50 clients, 2,000+
 * operations. Run from the repository root: `pnpm exec tsx packages/checker/bench/c50.ts [runs]`.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { checkLinearizability, parsePorcupineKv, porcupineKvModel } from '../src/index.js';

const DATA = fileURLToPath(new URL('../test/data/porcupine/kv/', import.meta.url));
const runs = Number(process.argv[2] ?? 5);

for (const file of ['c50-ok.txt', 'c50-bad.txt']) {
  const parsed = parsePorcupineKv(readFileSync(DATA + file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  const times: number[] = [];
  let result = checkLinearizability(porcupineKvModel, parsed.value);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = checkLinearizability(porcupineKvModel, parsed.value);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  process.stdout.write(
    `${file}: ${result.verdict}, ${result.operations} ops in ${result.partitions} partitions, ` +
      `${result.steps} steps, median ${median.toFixed(0)} ms (min ${(times[0] ?? 0).toFixed(0)}, ` +
      `max ${(times[times.length - 1] ?? 0).toFixed(0)}) over ${runs} runs\n`,
  );
}
