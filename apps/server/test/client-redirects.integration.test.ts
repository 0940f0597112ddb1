/**
 * How the client counts the sendings of a write whose session the cluster forgot, against a
 * real `nats-server` and scripted node replies (the protocol frames a node sends): a redirect
 * from a node that did not propose the write does not count, so the write is sent again under
 * a new session; a `not-leader` flagged `proposed` (a leader that proposed it and lost
 * leadership) counts, so the write is reported indeterminate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  FlexPaxosClient,
  IndeterminateError,
  clusterClientSubject,
  decodeRequest,
  encodeResponse,
  nodeClientSubject,
} from '@flexpaxos/client';
import type { Response } from '@flexpaxos/client';
import { decodeCommand, encodeResult, sessionId } from '@flexpaxos/kv';
import type { KvCommand } from '@flexpaxos/kv';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';

let nats: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: [nats.url] });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

type Script = (node: number, command: KvCommand) => Response;

/** Nodes 1..3 of `cluster` answering every command request with `script`. */
function scriptedNodes(cluster: string, script: Script): Subscription[] {
  const serve = (subject: string, node: number): Subscription =>
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        const answer = (frame: Uint8Array): Response => {
          const req = decodeRequest(frame);
          if (!req.ok || req.value.kind !== 'command') throw new Error('expected a command');
          const cmd = decodeCommand(req.value.command);
          if (!cmd.ok) throw new Error(cmd.error);
          return script(node, cmd.value);
        };
        const req = decodeRequest(msg.data);
        if (req.ok && req.value.kind === 'batch') {
          const items = req.value.items.map((item) => encodeResponse(answer(item)));
          msg.respond(encodeResponse({ kind: 'batch', items }));
        } else msg.respond(encodeResponse(answer(msg.data)));
      },
    });
  return [
    serve(clusterClientSubject(cluster), 1),
    ...[1, 2, 3].map((n) => serve(nodeClientSubject(cluster, n), n)),
  ];
}

/**
 * Node 3 opens sessions (ids 1, 2, ...), answers the first put with `redirect` (to node 2) and
 * later ones `not-leader` (node 2); node 2 refuses puts under session 1 as expired and applies
 * the others; the rest redirect to node 3. `puts`: the session of every put node 2 answered.
 */
function forgottenSessionScript(redirect: Response): { script: Script; puts: number[] } {
  let nextSession = 1;
  let node3Puts = 0;
  const puts: number[] = [];
  const result = (r: Parameters<typeof encodeResult>[0]): Response => ({
    kind: 'result',
    result: encodeResult(r),
  });
  const script: Script = (node, cmd) => {
    if (cmd.op.type === 'open-session') {
      if (node !== 3) return { kind: 'not-leader', leader: 3 };
      return result({ type: 'open-session', sessionId: sessionId(nextSession++), revision: 1 });
    }
    if (cmd.op.type !== 'put') return { kind: 'error', code: 'bad-request', message: 'script' };
    if (node === 3) return node3Puts++ === 0 ? redirect : { kind: 'not-leader', leader: 2 };
    if (node !== 2) return { kind: 'not-leader', leader: 3 };
    const session = Number(cmd.sessionRef?.sessionId ?? 0);
    puts.push(session);
    if (session === 1)
      return result({ type: 'error', code: 'session-expired', message: 'session 1 is unknown' });
    return result({ type: 'put', version: 1, revision: 2 });
  };
  return { script, puts };
}

describe('client: sendings of a write whose session the cluster forgot', () => {
  it('does not count a redirect from a node that did not propose it: sent again under a new session', async () => {
    const cluster = 'redirect-plain';
    const { script, puts } = forgottenSessionScript({ kind: 'not-leader', leader: 2 });
    const subs = scriptedNodes(cluster, script);
    const c = await FlexPaxosClient.connect({ servers: [nats.url], cluster });
    try {
      // Session 1 from node 3; the put's first sending is redirected by node 3 (which did not
      // propose it) to node 2, which refuses it session-expired: the only sending a leader may
      // have proposed, so nothing was applied, and it is sent again under session 2.
      await c.put('k', 'v');
      expect(puts).toEqual([1, 2]);
      expect(c.sessionsOpened).toBe(2);
    } finally {
      await c.close();
      for (const s of subs) s.unsubscribe();
    }
  });

  it('counts a not-leader flagged proposed: the write is indeterminate', async () => {
    const cluster = 'redirect-proposed';
    const { script, puts } = forgottenSessionScript({
      kind: 'not-leader',
      leader: 2,
      proposed: true,
    });
    const subs = scriptedNodes(cluster, script);
    const c = await FlexPaxosClient.connect({ servers: [nats.url], cluster });
    try {
      // Node 3 proposed the put and lost leadership; node 2 finds session 1 gone.
      await expect(c.put('k', 'v')).rejects.toBeInstanceOf(IndeterminateError);
      expect(puts).toEqual([1]);
    } finally {
      await c.close();
      for (const s of subs) s.unsubscribe();
    }
  });
});
