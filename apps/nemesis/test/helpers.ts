/** Helpers of the nemesis integration tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNemesisArgs } from '../src/args.js';
import type { NemesisOptions } from '../src/args.js';
import type { NemesisResult } from '../src/run.js';

/** Options from command-line flags, quiet, output in a new temporary directory. */
export function nemesisOptions(argv: readonly string[]): NemesisOptions {
  const out = mkdtempSync(join(tmpdir(), 'flexpaxos-nemesis-test-'));
  const parsed = parseNemesisArgs([...argv, '--out', out, '--quiet']);
  if (parsed.kind !== 'run') throw new Error(`bad options: ${JSON.stringify(parsed)}`);
  return parsed.options;
}

/** Everything a failure message needs: the summary, the replay command, the failed checks. */
export function explain(r: NemesisResult): string {
  const failed = r.checks
    .filter((c) => c.status !== 'pass')
    .map((c) => `${c.name}: ${c.summary}\n  ${c.details.slice(0, 8).join('\n  ')}`);
  return `${r.summary}\nreplay: ${r.replay}\noutput kept in ${r.outDir}\n${failed.join('\n')}`;
}
