/**
 * The workload: concurrent clients, each its own NATS connection (`@flexpaxos/client`) to one
 * of the nats-servers (client c to server c mod N, so there are clients on every side of a
 * partition), each running one operation at a time: put with a unique value, get in lease and
 * quorum mode, cas on the version last seen, delete. Every operation goes into the
 * {@link History}; an operation whose outcome is unknown moves its client to a new process id.
 *
 * Keys rotate (as in Jepsen's independent-key tests): `keys` slots are in use at once and each
 * slot moves to a fresh key after `opsPerKey` operations, which keeps every key's history short
 * enough for the linearizability checker.
 */
import { FlexPaxosClient, RejectedError } from '@flexpaxos/client';
import type { FlexKvInput, FlexKvOutput } from '@flexpaxos/checker';
import type { Prng } from '@flexpaxos/sim';
import type { History, HistoryOp, ReadMode } from './history.js';
import { isWrite } from './history.js';

/** Settings of a workload. */
export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  readonly opsPerKey: number;
  readonly thinkMs: number;
  readonly opTimeoutMs: number;
  /** Server ids, in order: client c connects to `servers[c % servers.length]`. */
  readonly servers: readonly number[];
  /** Client URL of a server. */
  readonly url: (server: number) => string;
  readonly cluster: string;
}

/** Refusals after which the command certainly had no effect (validation). */
const DEFINITE_REFUSALS = new Set(['invalid', 'bad-command', 'bad-request', 'too-large']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface KeySlot {
  generation: number;
  ops: number;
}

/** A running workload. */
export class Workload {
  readonly #history: History;
  readonly #options: WorkloadOptions;
  readonly #random: Prng;
  readonly #clients: FlexPaxosClient[] = [];
  readonly #slots: KeySlot[];
  readonly #keysUsed = new Set<string>();
  readonly #lastVersion = new Map<string, number>();
  readonly #ackListeners: ((op: HistoryOp, clean: boolean) => void)[] = [];
  /** Writes in flight per key. */
  readonly #writing = new Map<string, number>();
  /** Keys with a write of unknown outcome. */
  readonly #murky = new Set<string>();
  #nextProcess = 0;
  #readOnlyServers: ReadonlySet<number> = new Set();
  #stopping = false;
  #loops: Promise<void>[] = [];

  constructor(history: History, options: WorkloadOptions, random: Prng) {
    this.#history = history;
    this.#options = options;
    this.#random = random;
    this.#slots = Array.from({ length: options.keys }, () => ({ generation: 0, ops: 0 }));
  }

  /** Connects every client (to its own server). */
  async connect(): Promise<void> {
    const o = this.#options;
    for (let c = 0; c < o.clients; c++) {
      const server = o.servers[c % o.servers.length] as number;
      this.#clients.push(
        await FlexPaxosClient.connect({
          servers: [o.url(server)],
          cluster: o.cluster,
          timeoutMs: o.opTimeoutMs,
          attemptTimeoutMs: Math.min(500, o.opTimeoutMs),
          clientId: `nemesis-c${c}`,
          name: `nemesis-client-${c}`,
        }),
      );
    }
  }

  /** Starts every client's loop. */
  start(): void {
    this.#loops = this.#clients.map((client, c) =>
      this.#loop(client, c, this.#random.child(`client-${c}`)),
    );
  }

  /**
   * Called synchronously with each write acknowledged (`ok`), as soon as it is recorded.
   * `clean`: no other write of its key is in flight and none ever had an unknown outcome, so
   * that losing this write would show in the key's later reads.
   */
  onWriteAck(listener: (op: HistoryOp, clean: boolean) => void): void {
    this.#ackListeners.push(listener);
  }

  /**
   * While set, clients on these servers issue only lease reads, each with a short deadline
   * (the lease nemesis: reads go to the old leader's side, writes to the other side).
   */
  setReadOnlyServers(servers: ReadonlySet<number>): void {
    this.#readOnlyServers = servers;
  }

  /** Every key the workload used. */
  keysUsed(): string[] {
    return [...this.#keysUsed].sort();
  }

  /** Stops the loops (each finishes its current operation) and closes the clients. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
    await Promise.all(this.#clients.map((c) => c.close()));
  }

  /**
   * Quorum-reads every key used, through a new client on `server`, recording the reads as the
   * final part of the history. Each key is retried until it answers or `deadlineMs` passes;
   * returns the keys that never answered.
   */
  async readBack(server: number, deadlineMs: number): Promise<string[]> {
    const o = this.#options;
    const client = await FlexPaxosClient.connect({
      servers: [o.url(server)],
      cluster: o.cluster,
      timeoutMs: 5000,
      clientId: 'nemesis-final',
    });
    const missing: string[] = [];
    const keys = this.keysUsed();
    try {
      for (let i = 0; i < keys.length; i += 16) {
        const chunk = keys.slice(i, i + 16);
        const results = await Promise.all(
          chunk.map(async (key) => {
            for (;;) {
              const op = this.#history.invoke({
                process: this.#nextProcess++,
                client: -1,
                server,
                input: { type: 'get', key },
                readMode: 'quorum',
                final: true,
              });
              try {
                const e = await client.get(key, { readMode: 'quorum' });
                this.#history.ok(op, { type: 'get', kv: e === undefined ? undefined : entry(e) });
                return true;
              } catch (err) {
                this.#history.unknown(op, describe(err));
                if (performance.now() > deadlineMs) return false;
                await sleep(200);
              }
            }
          }),
        );
        chunk.forEach((k, j) => {
          if (results[j] !== true) missing.push(k);
        });
      }
    } finally {
      await client.close();
    }
    return missing;
  }

  #pickKey(random: Prng): string {
    const s = random.nextInt(this.#slots.length);
    const slot = this.#slots[s] as KeySlot;
    if (slot.ops >= this.#options.opsPerKey) {
      slot.generation++;
      slot.ops = 0;
    }
    slot.ops++;
    const key = `k${s}-${slot.generation}`;
    this.#keysUsed.add(key);
    return key;
  }

  async #loop(client: FlexPaxosClient, c: number, random: Prng): Promise<void> {
    const o = this.#options;
    const server = o.servers[c % o.servers.length] as number;
    let process = this.#nextProcess++;
    let seq = 0;
    while (!this.#stopping) {
      const key = this.#pickKey(random);
      const readOnly = this.#readOnlyServers.has(server);
      const roll = random.nextInt(100);
      const r = readOnly ? 0 : roll;
      let input: FlexKvInput;
      let readMode: ReadMode | undefined;
      if (r < 30) {
        input = { type: 'get', key };
        readMode = 'lease';
      } else if (r < 45) {
        input = { type: 'get', key };
        readMode = 'quorum';
      } else if (r < 75) {
        input = { type: 'put', key, value: `v${c}.${++seq}` };
      } else if (r < 93) {
        // Mostly the version last seen (often succeeds), sometimes one off or 0 (create).
        const seen = this.#lastVersion.get(key) ?? 0;
        const pick = random.nextInt(6);
        const expectedVersion = pick === 0 ? 0 : pick === 1 ? seen + 1 : seen;
        input = { type: 'cas', key, expectedVersion, value: `v${c}.${++seq}` };
      } else {
        input = { type: 'delete', key };
      }
      const op = this.#history.invoke({
        process,
        client: c,
        server,
        input,
        ...(readMode === undefined ? {} : { readMode }),
      });
      const write = isWrite(input);
      if (write) this.#writing.set(key, (this.#writing.get(key) ?? 0) + 1);
      try {
        const output = await run(
          client,
          input,
          readMode,
          readOnly ? Math.min(300, o.opTimeoutMs) : undefined,
        );
        this.#history.ok(op, output);
        this.#learn(key, output);
        if (write) {
          this.#writing.set(key, (this.#writing.get(key) ?? 1) - 1);
          const clean = this.#writing.get(key) === 0 && !this.#murky.has(key);
          for (const l of this.#ackListeners) l(op, clean);
        }
      } catch (err) {
        if (write) this.#writing.set(key, (this.#writing.get(key) ?? 1) - 1);
        if (err instanceof RejectedError && DEFINITE_REFUSALS.has(err.reason)) {
          this.#history.fail(op, describe(err));
        } else {
          this.#history.unknown(op, describe(err));
          if (write) this.#murky.add(key);
          process = this.#nextProcess++;
        }
      }
      if (o.thinkMs > 0) await sleep(random.nextInt(o.thinkMs + 1));
    }
  }

  #learn(key: string, out: FlexKvOutput): void {
    switch (out.type) {
      case 'get':
        this.#lastVersion.set(key, out.kv?.version ?? 0);
        return;
      case 'put':
      case 'cas':
        this.#lastVersion.set(key, out.version);
        return;
      case 'delete':
        this.#lastVersion.set(key, 0);
        return;
      case 'range':
      case 'txn':
      case 'lease-grant':
      case 'lease-revoke':
        return;
    }
  }
}

function entry(e: { key: string; value: string; version: number; revision: number }): {
  key: string;
  value: string;
  version: number;
  revision: number;
} {
  return { key: e.key, value: e.value, version: e.version, revision: e.revision };
}

/** Runs one operation and returns its result in the checker's terms. */
async function run(
  client: FlexPaxosClient,
  input: FlexKvInput,
  readMode: ReadMode | undefined,
  timeoutMs: number | undefined,
): Promise<FlexKvOutput> {
  switch (input.type) {
    case 'get': {
      const e = await client.get(input.key, {
        readMode: readMode ?? 'lease',
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      return { type: 'get', kv: e === undefined ? undefined : entry(e) };
    }
    case 'put': {
      const r = await client.put(input.key, input.value);
      return { type: 'put', version: r.version, revision: r.revision };
    }
    case 'cas': {
      const r = await client.cas(input.key, input.expectedVersion, input.value);
      return { type: 'cas', succeeded: r.succeeded, version: r.version, revision: r.revision };
    }
    case 'delete': {
      const r = await client.delete(input.key);
      return {
        type: 'delete',
        deleted: r.deleted,
        prevVersion: r.prevVersion,
        revision: r.revision,
      };
    }
    case 'range':
    case 'txn':
    case 'lease-grant':
    case 'lease-revoke':
      throw new Error(`the workload issues no ${input.type}`);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === 'string' ? ` (${code})` : ''}: ${err.message}`;
  }
  return String(err);
}
