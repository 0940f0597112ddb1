/**
 * The node's client subjects as a NATS micro service (`@nats-io/services`, ADR-32): every node
 * registers a service named `flexpaxos`, so any NATS tool finds the nodes and their endpoints
 * (`nats micro ls`, `nats micro info flexpaxos`, `nats req '$SRV.PING.flexpaxos' ''`) and reads
 * their request counts and processing times (`$SRV.STATS.flexpaxos`).
 *
 * The endpoints are the subjects the client library has always used, so nothing changes for it:
 *
 * | endpoint | subject | queue group | serves |
 * | --- | --- | --- | --- |
 * | `client` | `flexpaxos.<cluster>.client` | `flexpaxos-nodes` | any request, at any node (followers forward to the leader) |
 * | `node` | `flexpaxos.<cluster>.client.<id>` | none | requests for this node (the client's leader hint) |
 * | `status` | `flexpaxos.<cluster>.status` | none | a status request every node answers |
 *
 * The service's metadata carries the cluster name and node id; each endpoint's stats `data`
 * carries the node's role, leader and indexes at the time of the stats request. A request is
 * answered in the protocol of `@flexpaxos/client` (errors travel as error frames in the
 * payload, not as `Nats-Service-Error` headers), so `num_errors` counts only requests the
 * handler threw on; `processing_time` is the time to take a request in, not the time to its
 * reply (a write is answered once it is applied).
 */
import {
  CLIENT_QUEUE_GROUP,
  clusterClientSubject,
  clusterStatusSubject,
  nodeClientSubject,
} from '@flexpaxos/client';
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import type { Service, ServiceMsg } from '@nats-io/services';
import { SERVER_VERSION } from './version.js';

/** The name every node registers under. */
export const NATS_SERVICE_NAME = 'flexpaxos';

/** What the service needs from its node. */
export interface NatsServiceHost {
  readonly cluster: string;
  readonly nodeId: number;
  /** Called with every request on the three endpoints. */
  onRequest(msg: ServiceMsg): void;
  /** Called when a subscription fails (the service stops; the node decides what next). */
  onError(err: Error): void;
  /** The node's state for the stats `data` of each endpoint. */
  summary(): unknown;
}

/** Registers the `flexpaxos` service of one node on `nc` and starts serving its endpoints. */
export async function startNatsService(
  nc: NatsConnection,
  host: NatsServiceHost,
): Promise<Service> {
  const { cluster, nodeId } = host;
  const service = await new Svcm(nc).add({
    name: NATS_SERVICE_NAME,
    version: SERVER_VERSION,
    description: `FlexPaxos node ${nodeId} of cluster ${cluster}`,
    metadata: { cluster, node: String(nodeId) },
    // No queue group by default: `node` and `status` reach this node itself.
    queue: '',
    statsHandler: () => Promise.resolve(host.summary()),
  });
  const handler = (err: Error | null, msg: ServiceMsg): void => {
    if (err !== null) host.onError(err);
    else host.onRequest(msg);
  };
  service.addEndpoint('client', {
    subject: clusterClientSubject(cluster),
    queue: CLIENT_QUEUE_GROUP,
    handler,
    metadata: { serves: 'any request; followers forward writes to the leader' },
  });
  service.addEndpoint('node', {
    subject: nodeClientSubject(cluster, nodeId),
    handler,
    metadata: { serves: `requests for node ${nodeId}` },
  });
  service.addEndpoint('status', {
    subject: clusterStatusSubject(cluster),
    handler,
    metadata: { serves: 'status of every node' },
  });
  void service.stopped.then((err) => {
    if (err !== null) host.onError(err);
  });
  return service;
}
