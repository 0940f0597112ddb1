/**
 * Storage interfaces of the core, kept separate on purpose (etcd-io/raft mixes log and state in
 * one `Storage`; conventions.md lists that as a weak spot): `LogStorage` holds accepted entries,
 * `StateStorage` holds the hard state, the snapshot and the applied index. In-memory
 * implementations serve tests, the simulator and as a reference for durable adapters.
 */
import { assert } from './assert.js';
import { ZERO_BALLOT } from './ballot.js';
import type { ConfigState } from './configuration.js';
import type {
  AcceptedEntry,
  HardState,
  PersistRequest,
  RecoveredState,
  Slot,
  Snapshot,
} from './types.js';

/** Durable accepted log entries, by slot. */
export interface LogStorage {
  /** Writes entries; each overwrites any entry at the same slot. */
  writeEntries(entries: readonly AcceptedEntry[]): void;
  /** Drops every entry below `slot`. */
  truncateBelow(slot: Slot): void;
  /** Every stored entry, ascending by slot. */
  entries(): readonly AcceptedEntry[];
}

/** Durable acceptor hard state, snapshot and applied index. */
export interface StateStorage {
  /** Replaces the hard state. */
  saveHardState(hardState: HardState): void;
  /** The hard state (zero ballot, committed 0 when never saved). */
  hardState(): HardState;
  /** Replaces the stored snapshot (the host also does this when it compacts). */
  saveSnapshot(snapshot: Snapshot): void;
  /** The stored snapshot, if any. */
  snapshot(): Snapshot | undefined;
  /** Records the highest slot applied to the state machine. */
  saveApplied(slot: Slot): void;
  /** The highest applied slot (0 when nothing applied). */
  applied(): Slot;
  /** Replaces the base configuration (`PersistRequest.baseConfig`). */
  saveBaseConfig(config: ConfigState): void;
  /** The base configuration, if one was saved. */
  baseConfig(): ConfigState | undefined;
}

/**
 * Makes `request` durable in the order `PersistRequest` documents: snapshot first (it also
 * moves the applied index up to its index), then truncation, then entries, then hard state.
 */
export function applyPersistRequest(
  request: PersistRequest,
  log: LogStorage,
  state: StateStorage,
): void {
  if (request.snapshot !== undefined) {
    state.saveSnapshot(request.snapshot);
    if (state.applied() < request.snapshot.meta.index) {
      state.saveApplied(request.snapshot.meta.index);
    }
  }
  if (request.truncateBelow !== undefined) {
    log.truncateBelow(request.truncateBelow);
  }
  if (request.entries.length > 0) {
    log.writeEntries(request.entries);
  }
  if (request.hardState !== undefined) {
    state.saveHardState(request.hardState);
  }
  if (request.baseConfig !== undefined) {
    state.saveBaseConfig(request.baseConfig);
  }
}

/** Rebuilds what a `Replica` needs at start from its two stores. */
export function recoverState(log: LogStorage, state: StateStorage): RecoveredState {
  const snapshot = state.snapshot();
  const snapshotIndex = snapshot?.meta.index ?? 0;
  const entries = log.entries().filter((e) => e.slot > snapshotIndex);
  const applied = Math.max(state.applied(), snapshotIndex) as Slot;
  return {
    hardState: state.hardState(),
    snapshot: snapshot === undefined ? undefined : snapshot.meta,
    entries,
    applied,
    baseConfig: state.baseConfig(),
  };
}

/** `LogStorage` in memory. */
export class MemoryLogStorage implements LogStorage {
  readonly #entries = new Map<number, AcceptedEntry>();

  writeEntries(entries: readonly AcceptedEntry[]): void {
    for (const e of entries) {
      this.#entries.set(e.slot, e);
    }
  }

  truncateBelow(slot: Slot): void {
    for (const s of [...this.#entries.keys()]) {
      if (s < slot) {
        this.#entries.delete(s);
      }
    }
  }

  entries(): readonly AcceptedEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.slot - b.slot);
  }
}

/** `StateStorage` in memory. */
export class MemoryStateStorage implements StateStorage {
  #hardState: HardState = { promised: ZERO_BALLOT, committed: 0 as Slot };
  #snapshot: Snapshot | undefined;
  #applied = 0 as Slot;
  #baseConfig: ConfigState | undefined;

  saveHardState(hardState: HardState): void {
    this.#hardState = hardState;
  }

  hardState(): HardState {
    return this.#hardState;
  }

  saveSnapshot(snapshot: Snapshot): void {
    const current = this.#snapshot;
    assert(
      current === undefined || snapshot.meta.index >= current.meta.index,
      `snapshot at ${snapshot.meta.index} is older than the stored one at ${current?.meta.index}`,
    );
    this.#snapshot = snapshot;
  }

  snapshot(): Snapshot | undefined {
    return this.#snapshot;
  }

  saveApplied(slot: Slot): void {
    this.#applied = slot;
  }

  applied(): Slot {
    return this.#applied;
  }

  saveBaseConfig(config: ConfigState): void {
    this.#baseConfig = config;
  }

  baseConfig(): ConfigState | undefined {
    return this.#baseConfig;
  }
}
