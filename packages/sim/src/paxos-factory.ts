/**
 * Builds real `@flexpaxos/paxos` replicas for the simulator: counting quorums from
 * `@flexpaxos/quorum` (validated, L + P > N), or the sim's own broken system under
 * `--unsafe-quorum`.
 */
import { Replica, type NodeId, type RecoveredState, type ReplicaConfig } from '@flexpaxos/paxos';
import type { QuorumSpec, QuorumSystem } from '@flexpaxos/quorum';
import { quorumFromSpec, specVoters } from '@flexpaxos/quorum';
import type { ReplicaFactory, SimReplica } from './core-types.js';
import { unsafeCountingQuorum } from './unsafe-quorum.js';

/** A `ReplicaFactory` creating `@flexpaxos/paxos` replicas. */
export const paxosReplicaFactory: ReplicaFactory = (o, recovered) => {
  const voters = o.members as readonly NodeId[];
  const config: ReplicaConfig = {
    id: o.id as NodeId,
    ...(o.joiner === true
      ? {}
      : {
          bootstrap: {
            quorum: {
              kind: 'counting',
              voters,
              replication: o.replication,
              election: o.election,
            },
            learners: [],
          },
        }),
    ...(o.unsafeQuorum
      ? { quorumFactory: (spec) => unsafeQuorumOf(spec) }
      : {}),
    ...(o.unsafeReconfig === true ? { unsafeReconfig: true } : {}),
    ...(o.autoSubset === false ? { autoSubset: { enabled: false } } : {}),
    ...(o.preVote === false ? { preVote: false } : {}),
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

/** `--unsafe-quorum`: counting specs become the broken system (no intersection check). */
function unsafeQuorumOf(spec: QuorumSpec): QuorumSystem {
  if (spec.kind !== 'counting') return quorumFromSpec(spec);
  return unsafeCountingQuorum(specVoters(spec), spec.election, spec.replication);
}
