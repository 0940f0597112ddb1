/**
 * The simulated node's state machine: the real `@flexpaxos/kv` `KvStateMachine`, plus the
 * simulator's own bookkeeping beside it: which command ids took effect at which slot (the KV
 * session table dedupes retries, so a command chosen twice takes effect once), the reply each
 * command got (a retry of an applied command is answered from it, like the server does from
 * the session table), and a running hash chain over applied slot values so two replicas at the
 * same applied index can be compared cheaply. Its state is "durable on apply": applying a slot
 * and recording the applied index are one atomic write, as the design brief requires.
 */
import {
  KvStateMachine,
  decodeCommand,
  decodeReply,
  encodeCommand as encodeKv,
  kvTxn,
  type KvEvent,
  type LeaseChange,
  type TxnOp,
} from '@flexpaxos/kv';
import type { SimSlotValue } from './core-types.js';
import { bytesToText, commandId, textToBytes, valueKey } from './commands.js';

/** Outcome of applying one command. */
export type ApplyOutcome = 'applied' | 'deduped' | 'not-a-command';

/** One command's outcome, with the KV reply bytes. */
export interface CommandOutcome {
  readonly id: string | undefined;
  readonly outcome: ApplyOutcome;
  readonly reply: Uint8Array;
  /** The command bytes as applied. */
  readonly command: Uint8Array;
  /** The change events the command made, in order. */
  readonly events: readonly KvEvent[];
}

/**
 * Deliberately non-atomic transactions (a sabotage for checker tests): `both-branches` also
 * runs the writes of the branch the compares did not choose (the reply names only the chosen
 * one); `first-op-only` runs only the first operation of each branch, while the reply reports
 * every operation of the chosen branch as done.
 */
export type TxnSabotage = 'both-branches' | 'first-op-only';

/** FNV-1a over a string, folded into a running hash. */
function fold(hash: number, text: string): number {
  let h = hash ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The KV state machine of one simulated node, with the simulator's bookkeeping. */
export class SimStateMachine {
  /** Highest slot applied (or covered by an installed snapshot). */
  applied = 0;
  /** Hash chain over every value applied up to `applied`. */
  chain = 0;
  /** The real key-value state machine. */
  kv = new KvStateMachine();
  /** Command id -> slot where it took effect. */
  readonly effects = new Map<string, number>();
  /** Command id -> the reply of its first effect. */
  readonly replies = new Map<string, Uint8Array>();
  /**
   * When false (a sabotage for checker tests) the host strips the session from a command it
   * already applied, so the KV machine applies it again.
   */
  dedupe = true;
  /** Sabotage for checker tests: transactions applied non-atomically. */
  txnSabotage: TxnSabotage | undefined;
  /** The change events of the slot applied last, in order (what a watch hub publishes). */
  lastEvents: KvEvent[] = [];
  /** The lease-table and lessor-epoch changes of the slot applied last (what a lessor observes). */
  lastLeaseChanges: LeaseChange[] = [];

  /** Applies `value` at `slot` (must be `applied + 1`); returns each command's outcome. */
  apply(slot: number, value: SimSlotValue): CommandOutcome[] {
    if (slot !== this.applied + 1) {
      throw new Error(`state machine applies slot ${slot} after ${this.applied}: gap or repeat`);
    }
    const out: CommandOutcome[] = [];
    this.lastEvents = [];
    this.lastLeaseChanges = [];
    this.kv.applyNoop(slot);
    if (value.kind === 'commands') {
      for (const c of value.commands) {
        const id = commandId(c);
        let command = c;
        if (!this.dedupe && id !== undefined && this.effects.has(id)) {
          const d = decodeCommand(c);
          if (d.ok) command = encodeKv({ session: undefined, op: d.value.op });
        }
        const r = this.txnSabotage === undefined ? this.kv.apply(slot, command) : this.applySabotaged(slot, command);
        this.lastEvents.push(...r.events);
        this.lastLeaseChanges.push(...r.leaseChanges);
        if (id === undefined) {
          out.push({ id: bytesToText(c), outcome: 'not-a-command', reply: r.reply, command, events: r.events });
          continue;
        }
        // A command takes effect when it changes state (data or its session record); a
        // replay from the session table changes nothing (session expiry deletes aside).
        const changed = r.writes.some((w) => w.space === 'data' || w.value !== undefined);
        if (changed && (!this.dedupe || !this.effects.has(id))) {
          this.effects.set(id, slot);
          if (!this.replies.has(id)) this.replies.set(id, r.reply);
          out.push({ id, outcome: 'applied', reply: r.reply, command, events: r.events });
        } else {
          out.push({ id, outcome: 'deduped', reply: this.replies.get(id) ?? r.reply, command, events: r.events });
        }
      }
    }
    this.applied = slot;
    this.chain = fold(this.chain, valueKey(value));
    return out;
  }

  /** Applies `command` with the transaction sabotage (see {@link TxnSabotage}). */
  private applySabotaged(slot: number, command: Uint8Array): ReturnType<KvStateMachine['apply']> {
    const d = decodeCommand(command);
    if (!d.ok || d.value.op.type !== 'txn') return this.kv.apply(slot, command);
    const txn = d.value.op;
    const cmd = d.value;
    if (this.txnSabotage === 'first-op-only') {
      // The reply the whole transaction would get, from a copy of the state.
      const full = KvStateMachine.restore(this.kv.snapshot()).apply(slot, command);
      const cut = (ops: readonly TxnOp[]): TxnOp[] => ops.slice(0, 1);
      const r = this.kv.apply(slot, encodeKv({ ...cmd, op: kvTxn(txn.compare, cut(txn.success), cut(txn.failure)) }));
      return { ...r, reply: full.reply };
    }
    const r = this.kv.apply(slot, command);
    const reply = decodeReply(r.reply);
    // Only a transaction that ran now (not a replay from the session table) writes again.
    if (!reply.ok || reply.value.type !== 'txn' || r.writes.length === 0) return r;
    const other = (reply.value.succeeded ? txn.failure : txn.success).filter((o) => o.type === 'put' || o.type === 'delete');
    if (other.length === 0) return r;
    const extra = this.kv.apply(slot, encodeKv({ session: undefined, op: kvTxn([], other) }));
    return { ...r, writes: [...r.writes, ...extra.writes], events: [...r.events, ...extra.events], leaseChanges: [...r.leaseChanges, ...extra.leaseChanges] };
  }

  /** Serializes the whole state (for a snapshot): bookkeeping as JSON plus the KV snapshot. */
  serialize(): Uint8Array {
    const text = JSON.stringify({
      a: this.applied,
      c: this.chain,
      e: [...this.effects],
      r: [...this.replies].map(([id, reply]) => [id, bytesToText(reply)]),
      kv: bytesToText(this.kv.snapshot()),
    });
    return textToBytes(text);
  }

  /** Replaces the state with a serialized one. */
  restore(data: Uint8Array): void {
    const parsed = JSON.parse(bytesToText(data)) as {
      a: number;
      c: number;
      e: [string, number][];
      r: [string, string][];
      kv: string;
    };
    this.applied = parsed.a;
    this.chain = parsed.c;
    this.effects.clear();
    for (const [id, slot] of parsed.e) this.effects.set(id, slot);
    this.replies.clear();
    for (const [id, reply] of parsed.r) this.replies.set(id, textToBytes(reply));
    this.kv = KvStateMachine.restore(textToBytes(parsed.kv));
  }
}
