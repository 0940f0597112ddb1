import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { NatsServerNotFoundError, findNatsServer, startNatsServer } from '../src/testing.js';

/** Whether `pid` runs (a zombie, killed but not reaped by PID 1 of a container, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

describe('findNatsServer', () => {
  it('says how to install nats-server when it is missing', () => {
    expect(() => findNatsServer({ bin: undefined, dirs: ['/nonexistent'] })).toThrow(
      NatsServerNotFoundError,
    );
    expect(() => findNatsServer({ bin: undefined, dirs: [] })).toThrow(
      /apt-get install -y nats-server/,
    );
  });

  it('finds the installed binary', () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
  });
});

describe('startNatsServer', () => {
  it('accepts connections, restarts on the same port and stops', async () => {
    const nats = await startNatsServer({ maxPayloadBytes: 2048 });
    const pid = nats.pid!;
    const nc = await connect({ servers: nats.url });
    expect(nc.info?.max_payload).toBe(2048);
    await nc.close();
    await nats.restart();
    expect(nats.pid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    const again = await connect({ servers: nats.url });
    await again.close();
    await nats.stop();
    expect(nats.running).toBe(false);
    await expect(nats.restart()).rejects.toThrow(/after stop/);
  });

  it('kills its servers when the process that started them exits or crashes', () => {
    const script = fileURLToPath(new URL('./fixtures/leaky-process.ts', import.meta.url));
    for (const mode of ['exit', 'crash']) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', script, mode], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      const pid = Number(run.stdout.trim());
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
    }
  });
});
