import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogFollower, logLineFormatter } from '../src/log-view.js';

const dir = mkdtempSync(join(tmpdir(), 'fp-logview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = JSON.stringify({
  level: 'info',
  ts: '2026-01-02T03:04:05.678Z',
  node: 2,
  cluster: 'demo',
  component: 'paxos',
  from: 'candidate',
  to: 'leader',
  error: { name: 'Error', message: 'x' },
  msg: 'role changed',
});

describe('logLineFormatter', () => {
  it('pretty: one line with time, level, node, component, message and the other fields', () => {
    const text = logLineFormatter('pretty')(line);
    expect(text).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: n2 paxos: role changed \{"from":"candidate","to":"leader","error":\{"name":"Error","message":"x"\}\}\n$/,
    );
    expect(text).not.toContain('demo');
  });

  it('pretty: a line without a component, and a line that is not JSON', () => {
    const f = logLineFormatter('pretty');
    expect(f('{"level":"warn","ts":"2026-01-02T03:04:05.678Z","node":1,"msg":"m"}')).toMatch(
      /\] WARN: n1: m\s*\n$/,
    );
    expect(f('config: tick-ms: must be an integer >= 1')).toBe(
      'config: tick-ms: must be an integer >= 1\n',
    );
  });

  it('json: the line as it is', () => {
    expect(logLineFormatter('json')(line)).toBe(`${line}\n`);
  });
});

describe('LogFollower', () => {
  it('shows only lines appended after add, whole lines only, across polls', () => {
    const path = join(dir, 'n1.log');
    writeFileSync(path, 'old line\n');
    const shown: string[] = [];
    const f = new LogFollower(
      (l) => `<${l}>`,
      (t) => shown.push(t),
    );
    f.add(path);
    appendFileSync(path, 'first\nsec');
    f.poll();
    expect(shown).toEqual(['<first>']);
    appendFileSync(path, 'ond\n\nthird é\n');
    f.poll();
    expect(shown).toEqual(['<first>', '<second>', '<third é>']);
    appendFileSync(path, 'tail without newline');
    f.close();
    expect(shown.at(-1)).toBe('<tail without newline>');
  });

  it('merges the new lines of several files in time order', () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(a, '');
    writeFileSync(b, '');
    const shown: string[] = [];
    const f = new LogFollower(
      (l) => (JSON.parse(l) as { msg: string }).msg,
      (t) => shown.push(t),
    );
    f.add(a);
    f.add(b);
    const rec = (ts: string, msg: string): string => `${JSON.stringify({ ts, msg })}\n`;
    appendFileSync(
      a,
      rec('2026-01-01T00:00:00.300Z', 'a3') + rec('2026-01-01T00:00:00.400Z', 'a4'),
    );
    appendFileSync(
      b,
      rec('2026-01-01T00:00:00.100Z', 'b1') + rec('2026-01-01T00:00:00.350Z', 'b2'),
    );
    f.close();
    expect(shown).toEqual(['b1', 'a3', 'b2', 'a4']);
  });
});
