/**
 * The simulated replicated state machine: the set of command ids applied, deduplicated by id
 * (a retry that got chosen twice takes effect once, like the KV session table), and a running
 * hash chain over applied slot values so two replicas at the same applied index can be
 * compared cheaply. Its state is "durable on apply": applying a slot and recording the applied
 * index are one atomic write, as the design brief requires.
 */
import type { SimSlotValue } from './core-types.js';
import { bytesToText, commandId, valueKey } from './commands.js';

/** Outcome of applying one command. */
export type ApplyOutcome = 'applied' | 'deduped' | 'not-a-command';

/** FNV-1a over a string, folded into a running hash. */
function fold(hash: number, text: string): number {
  let h = hash ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The deduplicating state machine of one simulated node. */
export class SimStateMachine {
  /** Highest slot applied (or covered by an installed snapshot). */
  applied = 0;
  /** Hash chain over every value applied up to `applied`. */
  chain = 0;
  /** Command id -> slot where it took effect. */
  readonly effects = new Map<string, number>();
  /** When false (a sabotage for checker tests) duplicates take effect again. */
  dedupe = true;

  /** Applies `value` at `slot` (must be `applied + 1`); returns each command's outcome. */
  apply(slot: number, value: SimSlotValue): { id: string | undefined; outcome: ApplyOutcome }[] {
    if (slot !== this.applied + 1) {
      throw new Error(`state machine applies slot ${slot} after ${this.applied}: gap or repeat`);
    }
    const out: { id: string | undefined; outcome: ApplyOutcome }[] = [];
    if (value.kind === 'commands') {
      for (const c of value.commands) {
        const id = commandId(c);
        if (id === undefined) {
          out.push({ id: bytesToText(c), outcome: 'not-a-command' });
        } else if (this.dedupe && this.effects.has(id)) {
          out.push({ id, outcome: 'deduped' });
        } else {
          this.effects.set(id, slot);
          out.push({ id, outcome: 'applied' });
        }
      }
    }
    this.applied = slot;
    this.chain = fold(this.chain, valueKey(value));
    return out;
  }

  /** Serializes the state (for a snapshot). */
  serialize(): Uint8Array {
    const text = JSON.stringify({ a: this.applied, c: this.chain, e: [...this.effects] });
    return new TextEncoder().encode(text);
  }

  /** Replaces the state with a serialized one. */
  restore(data: Uint8Array): void {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as { a: number; c: number; e: [string, number][] };
    this.applied = parsed.a;
    this.chain = parsed.c;
    this.effects.clear();
    for (const [id, slot] of parsed.e) this.effects.set(id, slot);
  }
}
