import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { runTraceFile } from '../src/trace.js';

/**
 * Trace-style scenario tests: each `traces/*.trace` file holds a script, `----`, and the
 * expected trace. `UPDATE_TRACES=1` rewrites the expected part for review.
 */
const dir = join(import.meta.dirname, 'traces');
const files = readdirSync(dir).filter((f) => f.endsWith('.trace')).sort();
const update = process.env['UPDATE_TRACES'] === '1';

describe('runTraceFile', () => {
  it('finds the scenario files', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'election.trace',
        'dueling-proposers.trace',
        'recover-phase2-value.trace',
        'promise-persisted-before-reply.trace',
        'commit-minority-down.trace',
        'lagging-replica.trace',
      ]),
    );
  });

  for (const file of files) {
    it(`replays ${file} as recorded`, () => {
      const path = join(dir, file);
      const r = runTraceFile(readFileSync(path, 'utf8'), paxosReplicaFactory);
      if (update) writeFileSync(path, r.rewritten);
      expect(r.failures).toEqual([]);
      if (!update) expect(r.output).toBe(r.expected);
    });
  }
});
