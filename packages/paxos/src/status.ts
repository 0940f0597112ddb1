/**
 * `Replica.status()`: a snapshot of a replica's observable state, gathered from its roles (for
 * status pages, tests and the simulator).
 */
import type { Acceptor } from './acceptor.js';
import type { ReplicaContext } from './context.js';
import type { Leader } from './leader.js';
import type { LeaseStatus, ReplicaStatus, Role } from './replica-status.js';
import type { NodeId, Slot } from './types.js';

/** What a status is built from. */
export interface StatusInputs {
  readonly ctx: ReplicaContext;
  readonly acceptor: Acceptor;
  readonly role: Role;
  /** The leader the replica follows (itself when leading), if known. */
  readonly leaderId: NodeId | undefined;
  /** The leader role's state, when leading. */
  readonly leader: Leader | undefined;
  /** Whether leases are configured (the clock may be read). */
  readonly leases: boolean;
}

/** The status of a replica now. */
export function buildStatus(inputs: StatusInputs): ReplicaStatus {
  const { ctx, acceptor, leader } = inputs;
  const log = ctx.log;
  return {
    id: ctx.id,
    role: inputs.role,
    ballot: acceptor.promised,
    leader: inputs.leaderId,
    committed: log.committed as Slot,
    applied: log.applied as Slot,
    lastSlot: log.lastSlot as Slot,
    snapshotIndex: log.snapshotIndex as Slot,
    pendingCommands: leader?.pendingCommands ?? 0,
    inflightSlots: leader?.inflightSlots ?? 0,
    ownBallotCommitted: leader?.ownBallotCommitted ?? false,
    lease: leaseStatus(inputs),
    config: {
      state: ctx.committedConfig,
      index: log.configSlotFor(log.committed + 1) as Slot,
      latest: leader?.latestConfig ?? log.configFor(log.lastSlot + 1),
      pending: leader?.pendingChange,
      lastChange: leader?.lastChange,
      autoSubset: leader?.autoSubset,
    },
    peers: leader?.peers() ?? [],
  };
}

function leaseStatus({ ctx, acceptor, leader, leases }: StatusInputs): LeaseStatus {
  const preparesRefused = acceptor.preparesRefused;
  if (!leases) {
    return {
      held: false,
      validUntilMs: undefined,
      servesReads: false,
      grantedTo: undefined,
      preparesRefused,
    };
  }
  const now = ctx.nowMs();
  const own = leader?.leaseState(now);
  return {
    held: own?.held ?? false,
    validUntilMs: own?.validUntilMs,
    servesReads: own?.servesReads ?? false,
    grantedTo: acceptor.grantedTo(now),
    preparesRefused,
  };
}
