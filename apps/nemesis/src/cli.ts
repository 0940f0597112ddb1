#!/usr/bin/env node
/**
 * `pnpm nemesis`: runs one fault schedule against real `flexpaxos node` processes, prints
 * progress and ends with one summary line (and, on a failure, the replay command). Exit codes:
 * 0 every check passed, 1 a check failed or could not decide, 2 bad options. See README.md.
 */
import { USAGE, parseNemesisArgs } from './args.js';
import { installSignalHandlers } from './processes.js';
import { runNemesis } from './run.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseNemesisArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'invalid') {
    process.stderr.write(
      `${parsed.problems.map((p) => `  ${p}`).join('\n')}\nnemesis: invalid options (${parsed.problems.length}); nothing started\n${USAGE}\n`,
    );
    return 2;
  }
  installSignalHandlers(() => undefined);
  const o = parsed.options;
  const result = await runNemesis(o, (line) => {
    if (o.verbose) process.stdout.write(`${line}\n`);
  });
  process.stdout.write(`${result.summary}\n`);
  if (result.verdict !== 'pass') {
    process.stdout.write(`replay: ${result.replay}\noutput: ${result.outDir}\n`);
  }
  return result.verdict === 'pass' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `nemesis: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
