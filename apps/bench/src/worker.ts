/**
 * A client process of the benchmark: one client of the point's system (`adapters.ts`: a
 * `FlexPaxosClient`, a NATS KV bucket handle or an etcd client) driving `clients` concurrent
 * closed loops. Each loop issues one operation, waits for its answer, and issues the next:
 * a put of a `valueSizeBytes` value to one of its own keys, or (with probability `readRatio`,
 * FlexPaxos only) a get of one of its keys in `readMode`. The loop is the same code for every
 * system. Latencies go to HdrHistograms in microseconds.
 *
 * Run by the benchmark only (`node worker.js '<WorkerConfig JSON>' flexpaxos-sweep-client`),
 * driven over IPC (see `worker-protocol.ts`). It exits when told to stop and when its IPC
 * channel closes (the benchmark died): it never outlives the benchmark.
 */
import { connectAdapter } from './adapters.js';
import { encodeHistogram, newLatencyHistogram, recordMs } from './histogram.js';
import { epochMs } from './worker-protocol.js';
import type { FromWorker, ToWorker, WorkerConfig } from './worker-protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

process.on('disconnect', () => process.exit(0));

let running = false;
let stopping = false;
let writes = 0;
let reads = 0;
let errors = 0;
let errorsByCode: Record<string, number> = {};
let writeHist = newLatencyHistogram();
let readHist = newLatencyHistogram();
let allHist = newLatencyHistogram();
let windowStart = epochMs();
let cpuStart = process.cpuUsage();
let watchFrom: number | undefined;

const client = await connectAdapter(config.target, {
  name: `flexpaxos-sweep-client-${config.index}`,
  readMode: config.readMode,
});
const get = client.get;
if (config.readRatio > 0 && get === undefined) {
  send({
    type: 'fatal',
    index: config.index,
    message: `${client.system}: no reads in this benchmark`,
  });
  process.exit(1);
}
const value = 'x'.repeat(config.valueSizeBytes);

async function loop(loopIndex: number): Promise<void> {
  const prefix = `b/${config.index}-${loopIndex}/`;
  for (let i = 0; running; i++) {
    const key = `${prefix}${i % config.keysPerClient}`;
    const isRead = config.readRatio > 0 && Math.random() < config.readRatio;
    const t0 = performance.now();
    const issuedAt = performance.timeOrigin + t0;
    try {
      if (isRead && get !== undefined) await get(key);
      else await client.put(key, value);
      const ms = performance.now() - t0;
      if (isRead) {
        reads++;
        recordMs(readHist, ms);
      } else {
        writes++;
        recordMs(writeHist, ms);
        if (watchFrom !== undefined && issuedAt >= watchFrom) {
          send({ type: 'failover', index: config.index, ackedAtMs: epochMs() });
          watchFrom = undefined;
        }
      }
      recordMs(allHist, ms);
    } catch (err) {
      if (stopping) return;
      errors++;
      const code = client.errorCode(err);
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    }
  }
}

function resetWindow(): void {
  writes = 0;
  reads = 0;
  errors = 0;
  errorsByCode = {};
  for (const h of [writeHist, readHist, allHist]) h.destroy();
  writeHist = newLatencyHistogram();
  readHist = newLatencyHistogram();
  allHist = newLatencyHistogram();
  windowStart = epochMs();
  cpuStart = process.cpuUsage();
}

const loops: Promise<void>[] = [];
process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'start':
      running = true;
      resetWindow();
      for (let i = 0; i < config.clients; i++) loops.push(loop(i));
      break;
    case 'measure':
      resetWindow();
      break;
    case 'report': {
      const windowMs = epochMs() - windowStart;
      const cpu = process.cpuUsage(cpuStart);
      send({
        type: 'report',
        index: config.index,
        windowMs,
        writes,
        reads,
        errors,
        errorsByCode,
        writeHistogram: encodeHistogram(writeHist),
        readHistogram: encodeHistogram(readHist),
        allHistogram: encodeHistogram(allHist),
        cpuPct: windowMs > 0 ? ((cpu.user + cpu.system) / 1000 / windowMs) * 100 : 0,
      });
      break;
    }
    case 'watch-failover':
      watchFrom = m.killedAtMs;
      break;
    case 'stop':
      running = false;
      stopping = true;
      // In-flight calls end with the client; give them no more than a moment.
      void Promise.race([Promise.allSettled(loops), new Promise((r) => setTimeout(r, 200))])
        .then(() => client.close())
        .finally(() => process.exit(0));
      break;
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});

// Ready once a write goes through: the cluster has a leader and this client found it.
const readyBy = performance.now() + 30_000;
for (;;) {
  try {
    await client.put(`b/${config.index}-ready`, 'ready', { timeoutMs: 30_000 });
    send({ type: 'ready', index: config.index });
    break;
  } catch (err) {
    if (performance.now() > readyBy) {
      send({ type: 'fatal', index: config.index, message: String(err) });
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
