/**
 * `pnpm check-history --format porcupine-kv|jepsen-register|flexpaxos-kv
 *   [--time-budget-ms N] [--explain] FILE...`
 *
 * Prints one line per file: `FILE: linearizable`, `FILE: not linearizable` or
 * `FILE: unknown` (the time budget ran out, or the file could not be read or parsed; the
 * reason follows). `--explain` prints a counterexample summary to stderr.
 *
 * Exit status: 0 when every file is linearizable, 1 when any is not (a definite violation
 * wins), otherwise 2 when any is unknown or unreadable; 2 also for usage errors.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CheckResult } from './linearizability.js';
import { checkLinearizability } from './linearizability.js';
import { flexKvModel } from './models/flexpaxos-kv.js';
import { porcupineKvModel } from './models/porcupine-kv.js';
import { registerModel } from './models/register.js';
import { parseFlexKvJson, parseJepsenRegister, parsePorcupineKv } from './parsers.js';

const FORMATS = ['porcupine-kv', 'jepsen-register', 'flexpaxos-kv'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: check-history --format ${FORMATS.join('|')} [--time-budget-ms N] [--explain] FILE...`;

function check(format: Format, text: string, timeBudgetMs: number): CheckResult | string {
  const options = { timeBudgetMs, now: () => performance.now() };
  switch (format) {
    case 'porcupine-kv': {
      const p = parsePorcupineKv(text);
      return p.ok ? checkLinearizability(porcupineKvModel, p.value, options) : p.error;
    }
    case 'jepsen-register': {
      const p = parseJepsenRegister(text);
      return p.ok ? checkLinearizability(registerModel, p.value, options) : p.error;
    }
    case 'flexpaxos-kv': {
      const p = parseFlexKvJson(text);
      return p.ok ? checkLinearizability(flexKvModel, p.value, options) : p.error;
    }
  }
}

function main(args: readonly string[]): number {
  let format: Format | undefined;
  let timeBudgetMs = 300_000;
  let explain = false;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--format') {
      const f = args[++i] ?? '';
      if (!(FORMATS as readonly string[]).includes(f)) {
        process.stderr.write(`unknown format ${JSON.stringify(f)}\n${USAGE}\n`);
        return 2;
      }
      format = f as Format;
    } else if (a === '--time-budget-ms') {
      timeBudgetMs = Number(args[++i]);
      if (!Number.isFinite(timeBudgetMs) || timeBudgetMs < 0) {
        process.stderr.write(`--time-budget-ms needs a non-negative number\n${USAGE}\n`);
        return 2;
      }
    } else if (a === '--explain') {
      explain = true;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (a === '--') {
      continue;
    } else if (a.startsWith('--')) {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else {
      files.push(a);
    }
  }
  if (format === undefined || files.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let anyNot = false;
  let anyUnknown = false;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      anyUnknown = true;
      process.stdout.write(`${file}: unknown (cannot read: ${(e as Error).message})\n`);
      continue;
    }
    const r = check(format, text, timeBudgetMs);
    if (typeof r === 'string') {
      anyUnknown = true;
      process.stdout.write(`${file}: unknown (cannot parse: ${r})\n`);
    } else if (r.verdict === 'linearizable') {
      process.stdout.write(`${file}: linearizable\n`);
    } else if (r.verdict === 'not-linearizable') {
      anyNot = true;
      process.stdout.write(`${file}: not linearizable\n`);
      if (explain && r.counterexample !== undefined) {
        const c = r.counterexample;
        const linearized = new Set(c.longestLinearizable);
        const left = c.operations.filter((o) => !linearized.has(o));
        process.stderr.write(
          `${file}: partition ${r.failedPartition} (${c.operations.length} operations): at most ` +
            `${c.longestLinearizable.length} linearize; left over, first by call time:\n` +
            left
              .sort((x, y) => x.call - y.call)
              .slice(0, 5)
              .map(
                (o) =>
                  `  client ${o.clientId} call ${o.call} return ${o.return ?? 'never'}: ${JSON.stringify(o.input)} -> ${JSON.stringify(o.output) ?? 'unknown'}\n`,
              )
              .join(''),
        );
      }
    } else {
      anyUnknown = true;
      process.stdout.write(`${file}: unknown (time budget of ${timeBudgetMs} ms ran out)\n`);
    }
  }
  return anyNot ? 1 : anyUnknown ? 2 : 0;
}

process.exitCode = main(process.argv.slice(2));
