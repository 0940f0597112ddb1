import { decodeReply, encodeCommand, kvCommand } from '../src/index.js';
import type { KvCommandOp, KvReply, KvStateMachine } from '../src/index.js';

/** Applies `op` at `slot` (with a session when `client` is given) and decodes the reply. */
export function run(
  m: KvStateMachine,
  slot: number,
  op: KvCommandOp,
  client?: string,
  seq?: number,
): KvReply {
  const { reply } = m.apply(slot, encodeCommand(kvCommand(op, client, seq)));
  const d = decodeReply(reply);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

export const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);
