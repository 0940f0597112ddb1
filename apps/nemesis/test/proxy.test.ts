import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../src/proxy.js';

let echo: Server;
let echoPort: number;

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const addr = echo.address();
  echoPort = typeof addr === 'object' && addr !== null ? addr.port : 0;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

/** Connects, sends `text`, resolves with what came back, or with null when the socket closes first. */
function roundTrip(port: number, text: string): Promise<string | null> {
  return new Promise((resolve) => {
    const s: Socket = createConnection({ host: '127.0.0.1', port });
    let got = '';
    s.on('error', () => resolve(null));
    s.on('data', (d) => {
      got += d.toString();
      if (got === text) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('close', () => resolve(got === text ? got : null));
    s.write(text);
  });
}

describe('TcpProxy', () => {
  it('forwards, cuts live connections and refuses new ones, and heals', async () => {
    const proxy = await TcpProxy.start(echoPort);
    expect(await roundTrip(proxy.port, 'hello')).toBe('hello');
    const live = createConnection({ host: '127.0.0.1', port: proxy.port });
    live.on('error', () => undefined);
    const closed = new Promise<void>((r) => live.once('close', () => r()));
    await new Promise<void>((r) => live.once('connect', () => r()));
    await new Promise((r) => setTimeout(r, 50));
    expect(proxy.liveConnections).toBe(1);
    proxy.cut();
    await closed;
    expect(await roundTrip(proxy.port, 'while cut')).toBeNull();
    expect(proxy.counts.refused).toBe(1);
    proxy.heal();
    expect(await roundTrip(proxy.port, 'again')).toBe('again');
    await proxy.close();
  });
});
