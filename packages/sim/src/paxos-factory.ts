/**
 * Builds real `@flexpaxos/paxos` replicas for the simulator: counting quorums from
 * `@flexpaxos/quorum` (validated, L + P > N), or the sim's own broken system under
 * `--unsafe-quorum`.
 */
import { Replica, type NodeId, type RecoveredState, type ReplicaConfig } from '@flexpaxos/paxos';
import { countingQuorum } from '@flexpaxos/quorum';
import type { ReplicaFactory, SimReplica } from './core-types.js';
import { unsafeCountingQuorum } from './unsafe-quorum.js';

/** A `ReplicaFactory` creating `@flexpaxos/paxos` replicas. */
export const paxosReplicaFactory: ReplicaFactory = (o, recovered) => {
  const members = o.members as readonly NodeId[];
  const quorum = o.unsafeQuorum
    ? unsafeCountingQuorum(members, o.election, o.replication)
    : countingQuorum({ members, replication: o.replication, election: o.election });
  const config: ReplicaConfig = {
    id: o.id as NodeId,
    members,
    quorum,
    electionTimeoutTicks: o.electionTimeoutTicks,
    electionTimeoutJitterTicks: o.electionTimeoutJitterTicks,
    heartbeatIntervalTicks: o.heartbeatIntervalTicks,
    batchCommandsMax: o.batchCommandsMax,
    batchBytesMax: o.batchBytesMax,
    inflightSlotsMax: o.inflightSlotsMax,
    thrifty: o.thrifty,
    random: o.random,
    ...(o.lease === undefined ? {} : { lease: o.lease }),
  };
  const replica: SimReplica = new Replica(config, recovered as RecoveredState | undefined);
  return replica;
};
