import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ballot } from '@flexpaxos/paxos';
import type { AcceptedEntry, HardState, PersistRequest, Slot } from '../src/index.js';

/** Temp directories created by a test file, removed by `cleanupTempDirs`. */
const created: string[] = [];

/** A fresh directory under the OS temp dir. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flexpaxos-rocks-'));
  created.push(dir);
  return dir;
}

/** Removes every directory made by `tempDir`. */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A ballot. */
export function ballot(round: number, nodeId: number): Ballot {
  return { round, nodeId } as unknown as Ballot;
}

/** A slot. */
export function slot(n: number): Slot {
  return n as Slot;
}

/** A hard state. */
export function hardState(round: number, nodeId: number, committed: number): HardState {
  return { promised: ballot(round, nodeId), committed: slot(committed) };
}

/** An entry carrying UTF-8 commands (or a noop when `commands` is undefined). */
export function entry(
  s: number,
  round: number,
  nodeId: number,
  commands?: string[],
): AcceptedEntry {
  return {
    slot: slot(s),
    ballot: ballot(round, nodeId),
    value:
      commands === undefined
        ? { kind: 'noop' }
        : { kind: 'commands', commands: commands.map((c) => new TextEncoder().encode(c)) },
  };
}

/** A persist request with defaults. */
export function request(parts: Partial<PersistRequest>): PersistRequest {
  return {
    hardState: parts.hardState,
    entries: parts.entries ?? [],
    snapshot: parts.snapshot,
    truncateBelow: parts.truncateBelow,
  };
}

/** UTF-8 bytes. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** UTF-8 text of bytes. */
export function text(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : new TextDecoder().decode(b);
}
