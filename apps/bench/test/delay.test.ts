import { describe, expect, it } from 'vitest';
import { linkDelays, nodeDelayFlags, parseDelay, parseZoneDelay } from '../src/index.js';
import type { DelayVariant, LinkDelayMatrix, ZoneDelay } from '../src/index.js';

function variant(text: string): DelayVariant {
  const p = parseDelay(text);
  if (!p.ok) throw new Error(p.problems.join('; '));
  return p.value;
}
function zd(text: string): ZoneDelay {
  const p = parseZoneDelay(text);
  if (!p.ok) throw new Error(p.problems.join('; '));
  return p.value;
}
function matrix(text: string, n: number, zone?: string): LinkDelayMatrix {
  const m = linkDelays(variant(text), n, zone === undefined ? undefined : zd(zone));
  if (!m.ok) throw new Error(m.problems.join('; '));
  return m.value;
}

describe('linkDelays', () => {
  it('applies one delay to every link', () => {
    expect(matrix('2', 3)).toEqual([
      [0, 2, 2],
      [2, 0, 2],
      [2, 2, 0],
    ]);
    expect(matrix('none', 2)).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('adds per-node access delays', () => {
    expect(matrix('node:3=20,1=1', 3)).toEqual([
      [0, 1, 21],
      [1, 0, 20],
      [21, 20, 0],
    ]);
  });

  it('uses zone pair delays, 0 inside a zone unless given', () => {
    const m = matrix('zones:a=1,2;b=3;c=4,5', 5, 'a-b=5,a-c=20,b-c=30,c-c=1');
    expect(m[0]).toEqual([0, 0, 5, 20, 20]);
    expect(m[2]).toEqual([5, 5, 0, 30, 30]);
    expect(m[3]).toEqual([20, 20, 30, 0, 1]);
  });

  it('spreads nodes round-robin over zones:K', () => {
    expect(matrix('zones:2', 3, '7')).toEqual([
      [0, 7, 0],
      [7, 0, 7],
      [0, 7, 0],
    ]);
  });

  it('names what is missing', () => {
    const r = linkDelays(variant('zones:a=1;b=2,3;c=4'), 4, zd('a-b=5'));
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems).toEqual([
      '--zone-delay: no delay for zones a-c (needed by --delay zones:a=1;b=2,3;c=4 at N=4)',
      '--zone-delay: no delay for zones b-c (needed by --delay zones:a=1;b=2,3;c=4 at N=4)',
    ]);
    const q = linkDelays(variant('node:9=3'), 3, undefined);
    expect(q.ok ? [] : q.problems).toEqual([
      '--delay node:9=3: names no node of N=3 (nodes are 1..3)',
    ]);
  });

  it('refuses malformed specs', () => {
    for (const bad of [
      '',
      '-1',
      '1.5',
      'node:0=1',
      'node:1=x',
      'zones:1',
      'zones:a=1;a=2',
      'zones:a=1;b=1',
      'wan',
    ]) {
      expect(parseDelay(bad).ok, bad).toBe(false);
    }
    expect(parseZoneDelay('a-b=x').ok).toBe(false);
    expect(parseZoneDelay('a-b=1,b-a=2').ok).toBe(false);
  });
});

describe('nodeDelayFlags', () => {
  it('passes nothing without delay, one flag when uniform, per-peer otherwise', () => {
    expect(nodeDelayFlags(matrix('none', 3), 1)).toEqual([]);
    expect(nodeDelayFlags(matrix('4', 3), 2)).toEqual(['--link-delay-ms', '4']);
    expect(nodeDelayFlags(matrix('node:3=20', 3), 1)).toEqual(['--link-delay-to', '2:0,3:20']);
    expect(nodeDelayFlags(matrix('node:3=20', 3), 3)).toEqual(['--link-delay-ms', '20']);
  });
});
