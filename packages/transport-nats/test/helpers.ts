/** Small helpers for the integration tests. */
import type { NatsPeerTransport, PeerMessage } from '../src/index.js';

/** Polls `cond` every 10 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects every message a transport delivers. */
export function collect(t: NatsPeerTransport): PeerMessage[] {
  const got: PeerMessage[] = [];
  t.onMessages((ms) => {
    got.push(...ms);
  });
  return got;
}

/**
 * Sends `make()` repeatedly (every 50 ms) until `arrived()` holds: for paths where NATS may
 * lose messages (right after a reconnect, or before subscription interest has crossed routes).
 */
export async function sendUntil(
  t: NatsPeerTransport,
  make: () => PeerMessage,
  arrived: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!arrived()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    t.send([make()]);
    await new Promise((r) => setTimeout(r, 50));
  }
}
