/**
 * One client adapter per system, so that one closed-loop client (`worker.ts`) drives every
 * system the same way: the same keys, the same value, one client object per process, each
 * call awaited before the loop issues the next.
 *
 * - FlexPaxos: `@flexpaxos/client` (one NATS connection; requests issued in one event-loop
 *   turn are coalesced into one frame), `put` and `get` in the point's read mode.
 * - NATS JetStream KV: `@nats-io/kv` on `@nats-io/transport-node` v3 (one NATS connection to
 *   one of the servers, picked at random among those listed), `kv.put`, which returns once the
 *   stream leader has the write on a quorum of the bucket's replicas.
 * - etcd: `etcd3` (gRPC through `@grpc/grpc-js`, one channel per member; every call goes to a
 *   member picked at random, followers forward to the leader), `put(key).value(v)`.
 *
 * The comparison clients are imported only by the processes that use them.
 */
import type { FlexPaxosClient } from '@flexpaxos/client';
import type { BenchSystem } from './system.js';

/** Where a client process connects, per system. */
export type ClientTarget =
  | {
      readonly system: 'flexpaxos';
      /** NATS URLs of the broker. */
      readonly servers: readonly string[];
      /** The FlexPaxos cluster name. */
      readonly cluster: string;
    }
  | {
      readonly system: 'natskv';
      /** Client URLs of every nats-server of the JetStream cluster. */
      readonly servers: readonly string[];
      readonly bucket: string;
    }
  | {
      readonly system: 'etcd';
      /** Client endpoints of every member, `127.0.0.1:port`. */
      readonly hosts: readonly string[];
    };

/** A connected client of one system, as the closed loop sees it. */
export interface KvClientAdapter {
  readonly system: BenchSystem;
  /** Writes `value` at `key`; resolves once the system acknowledged it. */
  put(key: string, value: string, options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Reads `key` (FlexPaxos only: the comparisons measure writes). */
  readonly get: ((key: string) => Promise<void>) | undefined;
  /** A short code for a failed call, for the error counts (`TIMEOUT`, `TimeoutError`, ...). */
  errorCode(err: unknown): string;
  close(): Promise<void>;
}

/** What a client process is told besides the target. */
export interface AdapterOptions {
  /** Client name (shows in server-side connection lists). */
  readonly name: string;
  /** FlexPaxos read mode of `get`. */
  readonly readMode: 'lease' | 'quorum' | 'stale';
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'other';
}

async function flexPaxosAdapter(
  target: Extract<ClientTarget, { system: 'flexpaxos' }>,
  options: AdapterOptions,
): Promise<KvClientAdapter> {
  const { FlexPaxosClient: Client, FlexPaxosClientError } = await import('@flexpaxos/client');
  const client: FlexPaxosClient = await Client.connect({
    servers: [...target.servers],
    cluster: target.cluster,
    timeoutMs: 10_000,
    // A short attempt timeout finds a new leader quickly after a failover.
    attemptTimeoutMs: 500,
    name: options.name,
  });
  return {
    system: 'flexpaxos',
    put: async (key, value, o) => {
      await client.put(key, value, o?.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs });
    },
    get: async (key) => {
      await client.get(key, { readMode: options.readMode });
    },
    errorCode: (err) => (err instanceof FlexPaxosClientError ? err.code : 'other'),
    close: () => client.close(),
  };
}

async function natsKvAdapter(
  target: Extract<ClientTarget, { system: 'natskv' }>,
  options: AdapterOptions,
): Promise<KvClientAdapter> {
  const { connect } = await import('@nats-io/transport-node');
  const { Kvm } = await import('@nats-io/kv');
  const nc = await connect({ servers: [...target.servers], name: options.name });
  const kv = await new Kvm(nc).open(target.bucket);
  return {
    system: 'natskv',
    put: async (key, value) => {
      await kv.put(key, value);
    },
    get: undefined,
    errorCode: errorName,
    close: () => nc.close(),
  };
}

async function etcdAdapter(
  target: Extract<ClientTarget, { system: 'etcd' }>,
): Promise<KvClientAdapter> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: target.hosts.map((h) => `http://${h}`) });
  return {
    system: 'etcd',
    put: async (key, value) => {
      await client.put(key).value(value);
    },
    get: undefined,
    errorCode: errorName,
    close: () => {
      client.close();
      return Promise.resolve();
    },
  };
}

/** Connects the client of `target`'s system. */
export async function connectAdapter(
  target: ClientTarget,
  options: AdapterOptions,
): Promise<KvClientAdapter> {
  switch (target.system) {
    case 'flexpaxos':
      return flexPaxosAdapter(target, options);
    case 'natskv':
      return natsKvAdapter(target, options);
    case 'etcd':
      return etcdAdapter(target);
    default: {
      const never: never = target;
      throw new Error(`unknown system ${JSON.stringify(never)}`);
    }
  }
}
