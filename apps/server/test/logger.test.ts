import { describe, expect, it } from 'vitest';
import { componentLogger, jsonLogger } from '../src/logger.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const log = jsonLogger(level, { node: 2, cluster: 'c' }, (line) => lines.push(line));
  return { log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
}

describe('jsonLogger', () => {
  it('writes one JSON object per line with ts, level, msg, the base fields and the event fields', () => {
    const t = capture('info');
    t.log.log('info', 'node started', { P: 2, members: [1, 2, 3] });
    expect(t.lines).toHaveLength(1);
    expect(t.lines[0]?.endsWith('\n')).toBe(true);
    const [r] = t.records();
    expect(r).toMatchObject({
      level: 'info',
      msg: 'node started',
      node: 2,
      cluster: 'c',
      P: 2,
      members: [1, 2, 3],
    });
    expect(Date.parse(String(r?.ts))).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(r).not.toHaveProperty('pid');
    expect(r).not.toHaveProperty('hostname');
  });

  it('drops lines below its level', () => {
    const t = capture('warn');
    t.log.log('debug', 'd');
    t.log.log('info', 'i');
    t.log.log('warn', 'w');
    t.log.log('error', 'e');
    expect(t.records().map((r) => r.level)).toEqual(['warn', 'error']);
  });

  it('binds the component on child loggers, and children of children keep both bindings', () => {
    const t = capture('debug');
    const paxos = componentLogger(t.log, 'paxos');
    paxos.log('info', 'role changed', { to: 'leader' });
    paxos.child({ peer: 3 }).log('debug', 'x');
    t.log.log('info', 'plain');
    expect(t.records()).toMatchObject([
      { component: 'paxos', msg: 'role changed', to: 'leader', node: 2 },
      { component: 'paxos', peer: 3, msg: 'x' },
      { msg: 'plain' },
    ]);
    expect(t.records()[2]).not.toHaveProperty('component');
  });

  it('writes errors as name, message and code, without changing the caller’s fields', () => {
    const t = capture('info');
    const error = Object.assign(new Error('disk full'), { code: 'STORAGE_DISK_FULL' });
    const fields = { error, plain: new RangeError('bad') };
    t.log.log('error', 'storage failed: stopping (fail-stop)', fields);
    expect(t.records()[0]).toMatchObject({
      error: { name: 'Error', message: 'disk full', code: 'STORAGE_DISK_FULL' },
      plain: { name: 'RangeError', message: 'bad' },
    });
    expect(fields.error).toBe(error);
  });
});
