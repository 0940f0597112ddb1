import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatherConfig, validateConfig } from '../src/config.js';

const base = {
  id: '1',
  cluster: 'c',
  members: '1,2,3',
  nats: 'nats://127.0.0.1:4222',
  'data-dir': '/d',
};

describe('link delay settings', () => {
  it('default to no delay', () => {
    const { config } = validateConfig(base);
    expect(config?.linkDelayMs).toBe(0);
    expect(config?.linkDelayTo.size).toBe(0);
  });

  it('parse --link-delay-ms and the per-peer --link-delay-to override', () => {
    const { config, problems } = validateConfig({
      ...base,
      'link-delay-ms': '5',
      'link-delay-to': '2:20, 3:0',
    });
    expect(problems).toEqual([]);
    expect(config?.linkDelayMs).toBe(5);
    expect([...(config?.linkDelayTo ?? [])]).toEqual([
      [2, 20],
      [3, 0],
    ]);
  });

  it('name the field and rule of every bad value', () => {
    const { config, problems } = validateConfig({
      ...base,
      'link-delay-ms': '-1',
      'link-delay-to': '2:x,1:5,9:5,3:1,3:2',
    });
    expect(config).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual([
      'link-delay-ms',
      'link-delay-to',
      'link-delay-to',
      'link-delay-to',
      'link-delay-to',
    ]);
    expect(problems[1]?.rule).toMatch(/peerId:ms/);
    expect(problems[2]?.rule).toMatch(/1 must be another member/);
    expect(problems[3]?.rule).toMatch(/9 must be another member/);
    expect(problems[4]?.rule).toMatch(/must not repeat peer 3/);
  });

  it('come from env (FLEXPAXOS_LINK_DELAY_MS / _TO) and config file keys linkDelayMs / linkDelayTo', () => {
    const fromEnv = gatherConfig(
      {},
      { ...envOf(base), FLEXPAXOS_LINK_DELAY_MS: '7', FLEXPAXOS_LINK_DELAY_TO: '3:9' },
    );
    const envConfig = validateConfig(fromEnv.raw).config;
    expect(envConfig?.linkDelayMs).toBe(7);
    expect(envConfig?.linkDelayTo.get(3)).toBe(9);

    const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-delay-'));
    try {
      const file = join(dir, 'node.json');
      writeFileSync(file, JSON.stringify({ ...base, linkDelayMs: 4, linkDelayTo: { '2': 11 } }));
      const { raw, problems } = gatherConfig({ config: file, 'link-delay-ms': '6' }, {});
      expect(problems).toEqual([]);
      const { config } = validateConfig(raw);
      expect(config?.linkDelayMs).toBe(6); // flag beats file
      expect(config?.linkDelayTo.get(2)).toBe(11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function envOf(raw: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [`FLEXPAXOS_${k.replace(/-/g, '_').toUpperCase()}`, v]),
  );
}
