/**
 * The replica's in-memory log: accepted entries by slot, which of them are known chosen, the
 * committed and applied indexes, the snapshot index, and what changed since the last ready
 * (entries to persist, a truncation, a snapshot to install, a committed index to write).
 *
 * It also tracks the configurations in the log (`configuration.ts`): the base configuration in
 * force just above the snapshot index, and the slots holding `config` values above it, so that
 * `configFor(slot)` names the configuration governing any slot.
 *
 * Invariants:
 * - Every slot in (snapshotIndex, committed] has an entry flagged chosen.
 * - `configSlots` lists exactly the slots above the snapshot whose entry holds a configuration.
 * - `applied <= committed`, and `snapshotIndex <= committed`.
 * - Every entry (b, x) has b = the zero ballot or x = the value proposed in ballot b at its slot
 *   (one proposer per ballot, one proposal per slot per ballot).
 *
 * Storing a learned chosen value (`storeChosen`). A replica that learns the chosen value v of
 * slot s (from a `chosen` message or a promise's committed prefix) flags its entry chosen with
 * value v; it keeps its own ballot when its value already is v (never lowering it), and
 * otherwise takes the reported ballot (the zero ballot for `chosen` messages). This keeps the
 * Paxos safety argument intact: let b be the lowest ballot in which s was chosen; every proposal
 * in a ballot >= b is v (induction), and every phase-1 quorum of a later ballot contains an
 * acceptor that accepted (b, v) and whose entry ballot at s has not decreased since (its value
 * stayed v). Every entry whose value differs from v has a ballot below b, so the highest
 * reported entry has a ballot >= b and holds v: the new leader re-proposes v.
 */
import { assert } from './assert.js';
import type { ConfigState } from './configuration.js';
import { ballotEquals, compareBallots, maxBallot } from './ballot.js';
import { ENTRY_OVERHEAD_BYTES, chunkEntries, slotValuesEqual, valueBytes } from './slot-value.js';
import type {
  AcceptedEntry,
  Ballot,
  ChosenEntry,
  RecoveredState,
  Slot,
  SlotValue,
  Snapshot,
} from './types.js';

/** One slot of the in-memory log. */
export interface LogEntry {
  ballot: Ballot;
  value: SlotValue;
  /** The value is known to be chosen. */
  chosen: boolean;
}

/** The log of one replica; see the module comment for its invariants. */
export class ReplicaLog {
  readonly #entries = new Map<number, LogEntry>();
  #committed: number;
  #applied: number;
  #lastSlot: number;
  #snapshotIndex: number;
  /** The latest snapshot this replica can send to laggards (set by `compact` or an install). */
  #snapshot: Snapshot | undefined;

  /** The configuration in force just above the snapshot index (undefined: not joined yet). */
  #base: ConfigState | undefined;
  /** Slots above the snapshot index holding configuration values, ascending. */
  #configSlots: number[] = [];

  // Changes since the last ready.
  readonly #dirtySlots = new Set<number>();
  #baseDirty = false;
  #committedDirty = false;
  #pendingSnapshotInstall: Snapshot | undefined;
  #pendingTruncateBelow: number | undefined;

  /**
   * Rebuilds the log from durable state (an empty log without `recovered`). `bootstrap` is the
   * configuration to start from when the durable state has none (a new cluster's first start);
   * it is persisted with the first ready.
   */
  constructor(
    recovered: RecoveredState | undefined,
    promised: Ballot,
    bootstrap: ConfigState | undefined,
  ) {
    this.#base = recovered?.baseConfig ?? bootstrap;
    this.#baseDirty = recovered?.baseConfig === undefined && bootstrap !== undefined;
    this.#snapshotIndex = recovered?.snapshot?.index ?? 0;
    const committed = Math.max(recovered?.hardState.committed ?? 0, this.#snapshotIndex);
    this.#committed = committed;
    this.#applied = recovered?.applied ?? this.#snapshotIndex;
    assert(
      this.#applied >= this.#snapshotIndex && this.#applied <= committed,
      `recovered applied ${this.#applied} outside [snapshot ${this.#snapshotIndex}, committed ${committed}]`,
    );
    this.#lastSlot = this.#snapshotIndex;
    for (const e of recovered?.entries ?? []) {
      if (e.slot <= this.#snapshotIndex) {
        continue;
      }
      assert(
        compareBallots(e.ballot, promised) <= 0,
        `recovered entry at slot ${e.slot} has a ballot above the promised one`,
      );
      this.#entries.set(e.slot, { ballot: e.ballot, value: e.value, chosen: e.slot <= committed });
      this.#lastSlot = Math.max(this.#lastSlot, e.slot);
      this.#noteValue(e.slot, e.value);
    }
    for (let s = this.#snapshotIndex + 1; s <= committed; s++) {
      assert(
        this.#entries.has(s),
        `recovered committed index ${committed} but slot ${s} is missing`,
      );
    }
  }

  /** Every slot up to here is chosen and known locally. */
  get committed(): number {
    return this.#committed;
  }

  /** Every slot up to here was handed to the host and acknowledged with `advance`. */
  get applied(): number {
    return this.#applied;
  }

  /** The highest slot with an entry (or the snapshot index when the log is empty). */
  get lastSlot(): number {
    return this.#lastSlot;
  }

  /** Slots at or below this are folded into the latest snapshot. */
  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  /** The snapshot this replica can send to laggards, if any. */
  get snapshot(): Snapshot | undefined {
    return this.#snapshot;
  }

  /** The entry at `slot`, if any. */
  entry(slot: number): LogEntry | undefined {
    return this.#entries.get(slot);
  }

  /** The chosen value at `slot`, if known (and not compacted). */
  chosenValue(slot: number): SlotValue | undefined {
    const e = this.#entries.get(slot);
    return e?.chosen === true ? e.value : undefined;
  }

  /** Entries at or above `fromSlot`, ascending (what a Promise reports). */
  acceptedFrom(fromSlot: number): AcceptedEntry[] {
    const accepted: AcceptedEntry[] = [];
    for (let s = Math.max(fromSlot, this.#snapshotIndex + 1); s <= this.#lastSlot; s++) {
      const e = this.#entries.get(s);
      if (e !== undefined) {
        accepted.push({ slot: s as Slot, ballot: e.ballot, value: e.value });
      }
    }
    return accepted;
  }

  /** Every entry at or above `fromSlot`, in insertion order (the own promise of a candidate). */
  entriesFrom(fromSlot: number): AcceptedEntry[] {
    const accepted: AcceptedEntry[] = [];
    for (const [slot, e] of this.#entries) {
      if (slot >= fromSlot) {
        accepted.push({ slot: slot as Slot, ballot: e.ballot, value: e.value });
      }
    }
    return accepted;
  }

  /** Stores an accepted (not known chosen) entry; it is persisted with the next ready. */
  accept(slot: number, ballot: Ballot, value: SlotValue, chosen = false): void {
    const before = this.#entries.get(slot)?.value.kind;
    this.#entries.set(slot, { ballot, value, chosen });
    this.#lastSlot = Math.max(this.#lastSlot, slot);
    this.#dirtySlots.add(slot);
    if (before === 'config' || value.kind === 'config') {
      this.#noteValue(slot, value);
    }
  }

  /** Keeps `#configSlots` in step with the value now at `slot`. */
  #noteValue(slot: number, value: SlotValue): void {
    const i = this.#configSlots.indexOf(slot);
    if (value.kind === 'config') {
      if (i < 0) {
        this.#configSlots.push(slot);
        this.#configSlots.sort((a, b) => a - b);
      }
    } else if (i >= 0) {
      this.#configSlots.splice(i, 1);
    }
  }

  // ---------------------------------------------------------------- configurations

  /** The configuration in force just above the snapshot index. */
  get baseConfig(): ConfigState | undefined {
    return this.#base;
  }

  /**
   * The configuration governing `slot`: the one in the highest configuration entry below it,
   * else the base configuration (`undefined` only for a node that has not joined a cluster).
   */
  configFor(slot: number): ConfigState | undefined {
    const slots = this.#configSlots;
    for (let i = slots.length - 1; i >= 0; i--) {
      const s = slots[i]!;
      if (s < slot) {
        const e = this.#entries.get(s);
        assert(e !== undefined && e.value.kind === 'config', `config slot ${s} lost its value`);
        return e.value.config;
      }
    }
    return this.#base;
  }

  /** The slot of the configuration entry governing `slot`, or 0 when the base governs it. */
  configSlotFor(slot: number): number {
    const slots = this.#configSlots;
    for (let i = slots.length - 1; i >= 0; i--) {
      if (slots[i]! < slot) {
        return slots[i]!;
      }
    }
    return 0;
  }

  /** The highest slot holding a configuration, or undefined when the log holds none. */
  get lastConfigSlot(): number | undefined {
    return this.#configSlots[this.#configSlots.length - 1];
  }

  /** Slots above `from` holding configurations, ascending (for a candidate's chain). */
  configSlotsAbove(from: number): readonly number[] {
    return this.#configSlots.filter((s) => s > from);
  }

  /** Raises the ballot of an entry whose value stays the same (persisted with the next ready). */
  raiseBallot(slot: number, ballot: Ballot): void {
    const e = this.#entries.get(slot);
    assert(e !== undefined, `raiseBallot at slot ${slot} without an entry`);
    if (compareBallots(ballot, e.ballot) > 0) {
      e.ballot = ballot;
      this.#dirtySlots.add(slot);
    }
  }

  /** Flags the entry at `slot` chosen (its value is the chosen one; nothing to persist). */
  markChosen(slot: number): void {
    const e = this.#entries.get(slot);
    assert(e !== undefined, `markChosen at slot ${slot} without an entry`);
    e.chosen = true;
  }

  /** Stores a value known chosen (see the module comment for why this is safe). */
  storeChosen(slot: number, reportedBallot: Ballot, value: SlotValue): void {
    if (slot <= this.#snapshotIndex) {
      return;
    }
    const existing = this.#entries.get(slot);
    if (existing?.chosen === true) {
      return;
    }
    // Keep the own ballot when the values agree (never lowering it); otherwise the own entry
    // was a real acceptance in a ballot below the one that chose `value`, and replacing it with
    // the reported ballot keeps every entry at or above the choosing ballot equal to `value`.
    const ballot =
      existing !== undefined && slotValuesEqual(existing.value, value)
        ? maxBallot(existing.ballot, reportedBallot)
        : reportedBallot;
    this.accept(slot, ballot, value, true);
  }

  /**
   * Advances the committed index over every contiguous chosen slot. Returns the committed index
   * before the call when it moved, `undefined` otherwise.
   */
  maybeCommit(): number | undefined {
    const before = this.#committed;
    let c = before;
    while (this.#entries.get(c + 1)?.chosen === true) {
      c++;
    }
    if (c === before) {
      return undefined;
    }
    this.#committed = c;
    this.#committedDirty = true;
    return before;
  }

  /** Records that the host applied through `slot` (at `advance`). */
  advanceApplied(slot: number): void {
    this.#applied = Math.max(this.#applied, slot);
  }

  /**
   * Keeps `snapshot` (the host's own, at or below `applied`) to send to laggards and truncates
   * the log through its index with the next ready. Returns false when it is older than the
   * current snapshot.
   */
  compact(snapshot: Snapshot): boolean {
    const index = snapshot.meta.index;
    assert(
      index <= this.#applied,
      `compact(${index}) above the applied index ${this.#applied}: the host must apply first`,
    );
    if (index < this.#snapshotIndex) {
      return false;
    }
    this.#snapshot = snapshot;
    if (index > this.#snapshotIndex) {
      this.#truncateThrough(index);
    }
    // At the same index (after a restart the replica knows only the snapshot's metadata) the
    // host hands the stored snapshot back so that laggards can be sent it.
    return true;
  }

  /**
   * Installs a snapshot from a peer above the committed index: truncates through it, moves the
   * committed index to it and hands it to the host to install with the next ready. Returns
   * false (and changes nothing) when it is not above the committed index.
   */
  installSnapshot(snapshot: Snapshot, config: ConfigState): boolean {
    const index = snapshot.meta.index;
    if (index <= this.#committed) {
      return false;
    }
    this.#snapshot = snapshot;
    this.#pendingSnapshotInstall = snapshot;
    this.#truncateThrough(index, config);
    this.#committed = index;
    this.#committedDirty = true;
    return true;
  }

  /**
   * Drops entries at or below `index` (all chosen) and records the new log start, with the
   * configuration in force above it (`config`, or what the log says).
   */
  #truncateThrough(index: number, config?: ConfigState): void {
    this.#base = config ?? this.configFor(index + 1);
    this.#baseDirty = true;
    this.#configSlots = this.#configSlots.filter((s) => s > index);
    for (const slot of [...this.#entries.keys()]) {
      if (slot <= index) {
        this.#entries.delete(slot);
        this.#dirtySlots.delete(slot);
      }
    }
    this.#snapshotIndex = index;
    this.#lastSlot = Math.max(this.#lastSlot, index);
    this.#pendingTruncateBelow = index + 1;
  }

  /**
   * Chosen entries in [from, to], in chunks of at most `batchBytesMax` bytes, at most
   * `chunksMax` chunks; stops at the first slot not known chosen.
   */
  chosenEntries(
    from: number,
    to: number,
    batchBytesMax: number,
    chunksMax = Number.POSITIVE_INFINITY,
  ): ChosenEntry[][] {
    const entries: ChosenEntry[] = [];
    const budgetBytes = chunksMax * batchBytesMax;
    let bytes = 0;
    for (let s = Math.max(from, this.#snapshotIndex + 1); s <= to && bytes <= budgetBytes; s++) {
      const e = this.#entries.get(s);
      if (e === undefined || !e.chosen) {
        break;
      }
      entries.push({ slot: s as Slot, value: e.value });
      bytes += valueBytes(e.value) + ENTRY_OVERHEAD_BYTES;
    }
    return chunkEntries(entries, batchBytesMax).slice(0, chunksMax);
  }

  /** Committed entries in (from, committed], for the host to apply. */
  committedEntriesAfter(from: number): ChosenEntry[] {
    const committed: ChosenEntry[] = [];
    for (let s = from + 1; s <= this.#committed; s++) {
      const e = this.#entries.get(s);
      assert(e !== undefined && e.chosen, `committed slot ${s} has no chosen entry`);
      committed.push({ slot: s as Slot, value: e.value });
    }
    return committed;
  }

  /** Whether anything changed that the next ready must persist. */
  get hasChanges(): boolean {
    return (
      this.#dirtySlots.size > 0 ||
      this.#committedDirty ||
      this.#baseDirty ||
      this.#pendingSnapshotInstall !== undefined ||
      this.#pendingTruncateBelow !== undefined
    );
  }

  /**
   * Takes the changes since the last call: dirty entries ascending by slot, whether the
   * committed index moved, the snapshot to install and the truncation point.
   */
  takeChanges(): {
    readonly entries: AcceptedEntry[];
    readonly committedDirty: boolean;
    readonly snapshot: Snapshot | undefined;
    readonly truncateBelow: number | undefined;
    readonly baseConfig: ConfigState | undefined;
  } {
    const dirty = [...this.#dirtySlots].sort((a, b) => a - b);
    const entries: AcceptedEntry[] = [];
    for (const slot of dirty) {
      const e = this.#entries.get(slot);
      if (e === undefined || slot <= this.#snapshotIndex) {
        continue;
      }
      entries.push({ slot: slot as Slot, ballot: e.ballot, value: e.value });
    }
    const snapshot = this.#pendingSnapshotInstall;
    let truncateBelow = this.#pendingTruncateBelow;
    if (snapshot !== undefined) {
      truncateBelow = Math.max(truncateBelow ?? 0, snapshot.meta.index + 1);
    }
    const committedDirty = this.#committedDirty;
    const baseConfig = this.#baseDirty ? this.#base : undefined;
    this.#dirtySlots.clear();
    this.#committedDirty = false;
    this.#baseDirty = false;
    this.#pendingSnapshotInstall = undefined;
    this.#pendingTruncateBelow = undefined;
    return { entries, committedDirty, snapshot, truncateBelow, baseConfig };
  }

  /** Whether the entry at `slot` is in `ballot` (used by the leader to count its own acks). */
  isInBallot(slot: number, ballot: Ballot): boolean {
    const e = this.#entries.get(slot);
    return e !== undefined && ballotEquals(e.ballot, ballot);
  }
}
