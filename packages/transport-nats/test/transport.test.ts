import { describe, expect, it } from 'vitest';
import {
  NatsPeerTransport,
  TransportConfigError,
  TransportConnectError,
  validateTransportOptions,
} from '../src/index.js';
import { freePort } from '../src/testing.js';

describe('validateTransportOptions', () => {
  it('accepts valid options', () => {
    expect(
      validateTransportOptions({
        servers: ['nats://127.0.0.1:4222', 'localhost:4223'],
        clusterName: 'prod-1_a',
        nodeId: 3,
      }),
    ).toEqual([]);
  });

  it('reports every problem with its field and rule', () => {
    const problems = validateTransportOptions({
      servers: ['nats://ok:1', 'not a url'],
      clusterName: 'a.b',
      nodeId: 0,
      frameBytesMax: 10,
    });
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['servers[1]', 'nats-url'],
      ['clusterName', 'subject-token'],
      ['nodeId', 'positive-safe-integer'],
      ['frameBytesMax', 'integer-range'],
    ]);
    for (const bad of ['', '*', 'a>b', 'has space', 'x'.repeat(65)]) {
      expect(
        validateTransportOptions({ servers: ['nats://h:1'], clusterName: bad, nodeId: 1 })[0]
          ?.field,
      ).toBe('clusterName');
    }
  });
});

describe('NatsPeerTransport', () => {
  it('throws a TransportConfigError listing the problems before connecting', async () => {
    await expect(
      NatsPeerTransport.connect({ servers: [], clusterName: 'a.b', nodeId: -1 }),
    ).rejects.toSatisfy(
      (e: unknown) => e instanceof TransportConfigError && e.problems.length === 3,
    );
  });

  it('throws a TransportConnectError when no server is reachable', async () => {
    const port = await freePort();
    await expect(
      NatsPeerTransport.connect({
        servers: [`nats://127.0.0.1:${port}`],
        clusterName: 'c',
        nodeId: 1,
      }),
    ).rejects.toBeInstanceOf(TransportConnectError);
  });
});
