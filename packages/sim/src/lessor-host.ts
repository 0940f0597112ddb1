/**
 * A simulated node's host side of key leases, as `@flexpaxos/kv`'s README ("How a host runs
 * it") describes: the node runs a `Lessor` on its own simulated clock; on becoming leader it
 * proposes a `lessor-epoch` naming itself and its ballot, and the lessor starts when that epoch
 * is applied; after each applied slot the lessor observes the slot's lease changes; when the
 * lessor's `nextWakeMs` comes on the node's clock, the host proposes the expiries `expire`
 * returns; keep-alives are answered by the lessor only while the node holds its leader lease;
 * on stepping down the lessor is demoted. A restart starts a fresh lessor (the node's clock
 * starts from a new origin).
 */
import {
  Lessor,
  encodeCommand,
  kvCommand,
  toBytes,
  type KeepaliveOutcome,
  type KvStateMachine,
  type LeaseChange,
  type LeaseId,
  type LeaseRevokeOp,
  type LessorConfig,
} from '@flexpaxos/kv';

/**
 * Deliberately broken lessor hosting, to prove invariant 11 can fail:
 * - `half-ttl`: the lessor runs on a clock twice as fast as the node's, so leases expire after
 *   half their TTL;
 * - `ignore-keepalives`: keep-alives are acknowledged without renewing the lease.
 */
export type LessorSabotage = 'half-ttl' | 'ignore-keepalives';

/** Something the host must propose (a command without session). */
export interface LessorProposal {
  readonly bytes: Uint8Array;
  /** The expiry it carries, or undefined for a lessor epoch. */
  readonly expiry: LeaseRevokeOp | undefined;
}

/** The lessor of one node incarnation and the host state around it. */
export class LessorHost {
  readonly lessor: Lessor;
  private readonly clock: () => number;
  private readonly sabotage: LessorSabotage | undefined;
  /** The ballot (`round.node`) the lessor campaigned for, while campaigning or leading. */
  private ballot: string | undefined;
  private holder: string | undefined;
  private epochBytes: Uint8Array | undefined;
  /** Tick of the last epoch proposal (re-proposed if it never shows up applied). */
  private proposedAt = 0;
  /** Statistics. */
  campaigns = 0;
  expiriesProposed = 0;

  constructor(
    config: Partial<LessorConfig>,
    clock: () => number,
    sabotage: LessorSabotage | undefined,
  ) {
    this.lessor = new Lessor(config);
    this.sabotage = sabotage;
    this.clock = sabotage === 'half-ttl' ? () => 2 * clock() : clock;
  }

  /** The lessor's clock reading. */
  nowMs(): number {
    return this.clock();
  }

  /**
   * The node's role now (`ballot` when it leads). Returns what to propose: the epoch command on
   * a new leadership (again after `retryTicks` while it is not applied), expiries when due.
   */
  tick(
    now: number,
    leading: boolean,
    ballot: string | undefined,
    retryTicks: number,
  ): LessorProposal[] {
    const l = this.lessor;
    if (!leading) {
      if (l.role !== 'follower') l.demote();
      this.ballot = undefined;
      return [];
    }
    if (ballot !== this.ballot || l.role === 'follower') {
      this.ballot = ballot;
      this.holder = `lessor ${ballot ?? '?'}`;
      this.epochBytes = encodeCommand(kvCommand(l.campaign(toBytes(this.holder))));
      this.proposedAt = now;
      this.campaigns++;
      return [{ bytes: this.epochBytes, expiry: undefined }];
    }
    if (l.role === 'campaigning') {
      if (now - this.proposedAt < retryTicks || this.epochBytes === undefined) return [];
      this.proposedAt = now;
      return [{ bytes: this.epochBytes, expiry: undefined }];
    }
    const wake = l.nextWakeMs();
    const nowMs = this.clock();
    if (wake === undefined || wake > nowMs) return [];
    const out = l.expire(nowMs).map((op) => ({ bytes: encodeCommand(kvCommand(op)), expiry: op }));
    this.expiriesProposed += out.length;
    return out;
  }

  /** After an applied slot: the lessor follows its lease changes. */
  observe(changes: readonly LeaseChange[], kv: KvStateMachine): void {
    if (changes.length === 0) return;
    this.lessor.observe(changes, this.clock(), () => kv.leases());
  }

  /**
   * The node installed a snapshot: an epoch of its own inside it starts (or keeps) the lessor;
   * another holder's demotes a leading one.
   */
  afterSnapshot(kv: KvStateMachine): void {
    const l = this.lessor;
    if (l.role === 'follower') return;
    const { epoch, holder } = kv.lessorEpoch;
    const mine = this.holder !== undefined && new TextDecoder().decode(holder) === this.holder;
    if (mine && l.role === 'campaigning') l.promote(this.clock(), epoch, kv.leases());
    else if (!mine && l.role === 'leader' && epoch > l.epoch) l.demote();
  }

  /** A keep-alive (the caller checked the node holds its leader lease). */
  keepalive(lease: LeaseId): KeepaliveOutcome {
    const l = this.lessor;
    const nowMs = this.clock();
    if (this.sabotage === 'ignore-keepalives' && l.role === 'leader') {
      const left = l.remainingMs(lease, nowMs);
      if (left !== undefined && left > 0) return { kind: 'renewed', lease, ttlMs: 0 };
    }
    return l.keepalive(lease, nowMs);
  }
}
