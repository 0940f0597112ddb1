import { describe, expect, it } from 'vitest';
import {
  MemoryLogStorage,
  MemoryStateStorage,
  applyPersistRequest,
  recoverState,
  type AcceptedEntry,
  type NodeId,
  type Round,
  type Slot,
} from '../src/index.js';

const b = (round: number, nodeId: number) => ({ round: round as Round, nodeId: nodeId as NodeId });
const entry = (slot: number, round: number): AcceptedEntry => ({
  slot: slot as Slot,
  ballot: b(round, 1),
  value: { kind: 'noop' },
});

describe('applyPersistRequest', () => {
  it('overwrites entries, saves the hard state and truncates below a slot', () => {
    const log = new MemoryLogStorage();
    const state = new MemoryStateStorage();
    applyPersistRequest(
      {
        hardState: { promised: b(1, 1), committed: 2 as Slot },
        entries: [entry(1, 1), entry(2, 1), entry(3, 1)],
        snapshot: undefined,
        truncateBelow: undefined,
      },
      log,
      state,
    );
    applyPersistRequest(
      {
        hardState: undefined,
        entries: [entry(3, 2)],
        snapshot: undefined,
        truncateBelow: 2 as Slot,
      },
      log,
      state,
    );
    expect(log.entries()).toEqual([entry(2, 1), entry(3, 2)]);
    expect(state.hardState()).toEqual({ promised: b(1, 1), committed: 2 });
  });

  it('installs a snapshot and moves the applied index up to it', () => {
    const log = new MemoryLogStorage();
    const state = new MemoryStateStorage();
    log.writeEntries([entry(1, 1), entry(2, 1), entry(6, 1)]);
    const snapshot = { meta: { index: 5 as Slot }, data: new Uint8Array([1]) };
    applyPersistRequest(
      {
        hardState: { promised: b(1, 1), committed: 5 as Slot },
        entries: [],
        snapshot,
        truncateBelow: 6 as Slot,
      },
      log,
      state,
    );
    expect(state.snapshot()).toBe(snapshot);
    expect(state.applied()).toBe(5);
    expect(log.entries()).toEqual([entry(6, 1)]);
  });
});

describe('recoverState', () => {
  it('rebuilds hard state, snapshot metadata, entries above the snapshot and the applied index', () => {
    const log = new MemoryLogStorage();
    const state = new MemoryStateStorage();
    log.writeEntries([entry(4, 1), entry(5, 1), entry(6, 2)]);
    state.saveSnapshot({ meta: { index: 4 as Slot }, data: new Uint8Array() });
    state.saveHardState({ promised: b(2, 1), committed: 5 as Slot });
    state.saveApplied(5 as Slot);
    expect(recoverState(log, state)).toEqual({
      hardState: { promised: b(2, 1), committed: 5 },
      snapshot: { index: 4 },
      entries: [entry(5, 1), entry(6, 2)],
      applied: 5,
    });
  });

  it('starts empty with the zero ballot', () => {
    expect(recoverState(new MemoryLogStorage(), new MemoryStateStorage())).toEqual({
      hardState: { promised: { round: 0, nodeId: 0 }, committed: 0 },
      snapshot: undefined,
      entries: [],
      applied: 0,
    });
  });
});

describe('MemoryStateStorage', () => {
  it('refuses a snapshot older than the stored one', () => {
    const state = new MemoryStateStorage();
    state.saveSnapshot({ meta: { index: 5 as Slot }, data: new Uint8Array() });
    expect(() =>
      state.saveSnapshot({ meta: { index: 4 as Slot }, data: new Uint8Array() }),
    ).toThrow(/older/);
  });
});
