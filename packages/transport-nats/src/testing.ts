/**
 * `@flexpaxos/transport-nats/testing`: start real `nats-server` processes (one, or a cluster
 * with routes) on 127.0.0.1 and free ports, for tests, benchmarks and local clusters.
 */
export {
  NatsServerNotFoundError,
  NatsServerStartError,
  canConnect,
  findNatsServer,
  freePort,
  startNatsCluster,
  startNatsServer,
} from './testing/nats-server.js';
export { killProcessGroup, spawnWithWatchdog } from './testing/watchdog.js';
export type { WatchdogOptions } from './testing/watchdog.js';
export type {
  FindNatsServerOptions,
  NatsCluster,
  NatsServer,
  NatsServerOptions,
} from './testing/nats-server.js';
