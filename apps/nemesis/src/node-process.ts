/**
 * One `flexpaxos node` process of a nemesis cluster, from the built server
 * (`apps/server/dist/cli.js`): started, killed -9, stopped gracefully, paused (SIGSTOP) and
 * resumed (SIGCONT), restarted on the same data directory with or without a skewed clock, and
 * asked for its status over HTTP (which works whatever the NATS partition). Its structured log
 * (stderr) goes to `<out>/logs/node-<id>.log`, one header line per start.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeStatusReport } from '@flexpaxos/client';
import { killProcessGroup } from '@flexpaxos/transport-nats/testing';
import type { Sabotage } from './args.js';
import { spawnTracked } from './processes.js';

/** A clock for one start of a node (test-only node flags). */
export interface NodeClock {
  /** `--test-clock-rate`: 1 is true time, 1.1 runs 10 % fast. */
  readonly rate: number;
  /** `--test-clock-offset-ms`: where the node's monotonic clock starts. */
  readonly offsetMs: number;
}

/** What every start of a node runs with. */
export interface NodeSettings {
  readonly id: number;
  readonly members: readonly number[];
  readonly replication: number;
  readonly election: number;
  readonly cluster: string;
  /** The node's own nats-server (the only one it connects to). */
  readonly natsUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly leaseMs: number;
  readonly driftMs: number;
  readonly electionTimeoutMs: number;
  readonly electionJitterMs: number;
  readonly thrifty: boolean;
  readonly sabotage: Sabotage | undefined;
  /** `apps/server/dist/cli.js`. */
  readonly cli: string;
}

/** Where a node is. */
export type NodeState = 'down' | 'starting' | 'up' | 'paused';

/** A node exit the harness did not cause (a crash of its own, a failed start). */
export interface UnexpectedExit {
  readonly id: number;
  readonly atMs: number;
  readonly code: number | string;
  /** The end of the node's log. */
  readonly logTail: string;
}

/** The node's `/status` (the client's report plus lease details). */
export type NodeStatus = NodeStatusReport;

const TICK_MS = 10;
const START_TIMEOUT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last `chars` characters of a file ('' when unreadable). */
export function fileTail(path: string, chars = 3000): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(-chars);
  } catch {
    return '';
  }
}

/** The `flexpaxos node` flags of one start. */
export function nodeFlags(s: NodeSettings, clock: NodeClock | undefined): string[] {
  const flags = [
    'node',
    '--id',
    String(s.id),
    '--cluster',
    s.cluster,
    '--members',
    s.members.join(','),
    '--replication',
    String(s.replication),
    '--election',
    String(s.election),
    '--nats',
    s.natsUrl,
    '--data-dir',
    s.dataDir,
    '--http-port',
    '0',
    '--log-level',
    'info',
    '--tick-ms',
    String(TICK_MS),
    '--election-timeout-ticks',
    String(s.electionTimeoutMs / TICK_MS),
    '--election-jitter-ticks',
    String(s.electionJitterMs / TICK_MS),
    '--heartbeat-interval-ticks',
    String(Math.max(1, Math.floor(s.electionTimeoutMs / TICK_MS / 5))),
    '--lease-duration-ms',
    String(s.leaseMs),
    '--clock-drift-bound-ms',
    String(s.driftMs),
  ];
  if (s.thrifty) flags.push('--thrifty', 'true');
  if (clock !== undefined) {
    flags.push(
      '--test-clock-rate',
      String(clock.rate),
      '--test-clock-offset-ms',
      String(clock.offsetMs),
    );
  }
  // Pre-vote is a second guard in front of the lease: a voter that hears from its leader
  // refuses to pre-vote, which hides a broken lease from the lease nemesis. The lease sabotage
  // turns it off so the check under test is the lease itself (as the simulator's lease
  // sabotage does).
  if (s.sabotage === 'lease-no-drift') flags.push('--pre-vote', 'false');
  if (s.sabotage !== undefined) {
    flags.push(
      s.sabotage === 'ack-before-fsync' ? '--unsafe-ack-before-fsync' : '--unsafe-lease-no-drift',
      'true',
      '--unsafe-test-faults',
      'true',
    );
  }
  return flags;
}

/** One node. */
export class NemesisNode {
  readonly settings: NodeSettings;
  readonly #onUnexpectedExit: (e: UnexpectedExit) => void;
  readonly #origin: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #pid: number | undefined;
  #http: string | undefined;
  #state: NodeState = 'down';
  #clock: NodeClock | undefined;
  #starts = 0;
  /** The harness is stopping the current process: its exit is expected. */
  #expecting = false;
  readonly #startMs: number[] = [];

  constructor(
    settings: NodeSettings,
    origin: number,
    onUnexpectedExit: (e: UnexpectedExit) => void,
  ) {
    this.settings = settings;
    this.#origin = origin;
    this.#onUnexpectedExit = onUnexpectedExit;
  }

  get id(): number {
    return this.settings.id;
  }

  get state(): NodeState {
    return this.#state;
  }

  /** The clock of the current start (undefined: the real one). */
  get clock(): NodeClock | undefined {
    return this.#clock;
  }

  /** The node process's own pid while it runs. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** The median time from spawn to the node's `started` line so far (ms), or undefined. */
  get typicalStartMs(): number | undefined {
    if (this.#startMs.length === 0) return undefined;
    const sorted = [...this.#startMs].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /**
   * Starts the node (it must be down) with `clock` (undefined: the real clock) and resolves
   * once it printed its `started` line; rejects (and records an unexpected exit) if it exits
   * first or does not start within a minute.
   */
  async start(clock?: NodeClock): Promise<void> {
    if (this.#state !== 'down') throw new Error(`node ${this.id} is ${this.#state}, not down`);
    const s = this.settings;
    if (!existsSync(s.cli)) throw new Error(`${s.cli} is missing: run pnpm build first`);
    this.#state = 'starting';
    this.#clock = clock;
    this.#starts++;
    const flags = nodeFlags(s, clock);
    appendFileSync(
      s.logFile,
      `${JSON.stringify({ harness: 'start', node: this.id, start: this.#starts, atMs: this.#now(), flags })}\n`,
    );
    const fd = openSync(s.logFile, 'a');
    const t0 = performance.now();
    let child: ChildProcess;
    try {
      child = spawnTracked(process.execPath, [s.cli, ...flags], { stdout: 'pipe', stderr: fd });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    let out = '';
    const started = new Promise<void>((resolve, reject) => {
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (d: string) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{"event":"started"'));
        if (line !== undefined && this.#pid === undefined && this.#child === child) {
          const info = JSON.parse(line) as { pid: number; http: string | null };
          this.#pid = info.pid;
          this.#http = info.http ?? undefined;
          this.#state = 'up';
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        reject(new Error(`node ${this.id} exited (${code ?? signal}) before starting`));
      });
    });
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.#child === child) {
          const wasExpected = this.#expecting;
          this.#child = undefined;
          this.#pid = undefined;
          this.#http = undefined;
          this.#state = 'down';
          this.#expecting = false;
          if (!wasExpected) {
            this.#onUnexpectedExit({
              id: this.id,
              atMs: this.#now(),
              code: code ?? signal ?? 'unknown',
              logTail: fileTail(s.logFile),
            });
          }
        }
        resolve();
      });
    });
    // A start that hangs is killed, and counts as an unexpected exit.
    const timer = setTimeout(() => killProcessGroup(child), START_TIMEOUT_MS);
    try {
      await started;
      this.#startMs.push(performance.now() - t0);
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9 (the process group); resolves once it is gone. No-op when down. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#expecting = true;
    killProcessGroup(child);
    await this.#exited;
  }

  /** kill -9 without waiting (for killing several nodes in the same instant). */
  killNow(): void {
    const child = this.#child;
    if (child === undefined) return;
    this.#expecting = true;
    killProcessGroup(child);
  }

  /** Resolves when the current process (if any) has exited. */
  exited(): Promise<void> {
    return this.#exited;
  }

  /** SIGTERM (the node drains and exits); kill -9 after 10 s. Resolves once it is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#expecting = true;
    if (this.#state === 'paused') this.resume();
    child.kill('SIGTERM');
    const timer = setTimeout(() => killProcessGroup(child), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** SIGSTOP of the node process (not its watchdog). Returns false when not up. */
  pause(): boolean {
    if (this.#state !== 'up' || this.#pid === undefined) return false;
    process.kill(this.#pid, 'SIGSTOP');
    this.#state = 'paused';
    return true;
  }

  /** SIGCONT. Returns false when not paused. */
  resume(): boolean {
    if (this.#state !== 'paused' || this.#pid === undefined) return false;
    process.kill(this.#pid, 'SIGCONT');
    this.#state = 'up';
    return true;
  }

  /** The node's `/status`, or undefined when it is not up or does not answer in time. */
  async status(timeoutMs = 500): Promise<NodeStatus | undefined> {
    if (this.#state !== 'up' || this.#http === undefined) return undefined;
    try {
      const res = await fetch(`${this.#http}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return (await res.json()) as NodeStatus;
    } catch {
      return undefined;
    }
  }

  /** Size of the node's log so far (bytes). */
  logBytes(): number {
    try {
      return statSync(this.settings.logFile).size;
    } catch {
      return 0;
    }
  }

  /** Waits until the node is down (polling), for at most `timeoutMs`. */
  async waitDown(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.#state !== 'down' && performance.now() < deadline) await sleep(20);
    return this.#state === 'down';
  }

  #now(): number {
    return performance.now() - this.#origin;
  }
}

/** The node data directory of `id` under `dir`. */
export function nodeDataDir(dir: string, id: number): string {
  return join(dir, `n${id}`);
}
