/**
 * The exactly-once session table (Ongaro's thesis §6.3): per session, the last applied
 * sequence number, its reply and the slot of last use. Bounded (least recently used evicted)
 * and expiring by log time (slots), never by a clock, so every replica drops the same sessions
 * at the same slot.
 */
import { assert } from './assert.js';
import type { SessionRecord } from './records.js';
import { encodeSession } from './records.js';
import { keyBytes } from './records.js';
import type { StateWrite } from './state-write.js';

/**
 * Sessions keyed by the binary string of their record key (tag byte + id).
 *
 * Invariant: iteration order is by non-decreasing `lastSlot` (a used session is moved to the
 * end), so expiry and eviction look only at the front. Ties within one slot are broken by key
 * where it matters (eviction), never by insertion order.
 */
export class SessionTable {
  private sessions = new Map<string, SessionRecord>();

  /** Number of live sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** The session at `key`, if live. */
  get(key: string): SessionRecord | undefined {
    return this.sessions.get(key);
  }

  /** Loads sessions at once (restore), ordering them by last use then key. */
  load(list: [string, SessionRecord][]): void {
    list.sort((a, b) => a[1].lastSlot - b[1].lastSlot || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.sessions = new Map(list);
  }

  /** Drops sessions unused for `expirySlots` slots at `slot`. */
  expire(slot: number, expirySlots: number, writes: StateWrite[]): void {
    const expired: string[] = [];
    for (const [key, s] of this.sessions) {
      if (slot - s.lastSlot < expirySlots) break;
      expired.push(key);
    }
    // Sorted so the writes do not depend on the order sessions were restored in.
    for (const key of expired.sort()) this.remove(key, writes);
  }

  /**
   * Records `next` at `key` (moving it to the most recently used end); a new session first
   * makes room by evicting the least recently used ones (smallest key on ties) down to
   * `sessionsMax - 1`. `recordKey` is `key` as bytes, when the caller has them at hand.
   */
  put(
    key: string,
    next: SessionRecord,
    sessionsMax: number,
    writes: StateWrite[],
    recordKey: Uint8Array = keyBytes(key),
  ): void {
    const known = this.sessions.delete(key);
    if (!known) this.evictFor(sessionsMax, writes);
    this.sessions.set(key, next);
    writes.push({ space: 'sessions', key: recordKey, value: encodeSession(next) });
  }

  /** Removes the session at `key`, which must be live. */
  remove(key: string, writes: StateWrite[]): void {
    assert(this.sessions.delete(key), 'removed session is live');
    writes.push({ space: 'sessions', key: keyBytes(key), value: undefined });
  }

  private evictFor(sessionsMax: number, writes: StateWrite[]): void {
    while (this.sessions.size >= sessionsMax) {
      let victim: string | undefined;
      let victimSlot = 0;
      for (const [key, s] of this.sessions) {
        if (victim === undefined) {
          victim = key;
          victimSlot = s.lastSlot;
        } else if (s.lastSlot !== victimSlot) break;
        else if (key < victim) victim = key;
      }
      assert(victim !== undefined, 'a full session table has a victim');
      this.remove(victim, writes);
    }
  }

  /** Every session, by key. */
  inKeyOrder(): [string, SessionRecord][] {
    return [...this.sessions].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
