import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const example = readFileSync(new URL('../examples/quick-start.ts', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README example', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is examples/quick-start.ts verbatim', () => {
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('prints what its comments say', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    await import('../examples/quick-start.js');
    expect(lines).toEqual([
      'counting(N=5, L=4, P=2) over [1,2,3,4,5]',
      '9',
      'pending',
      'lost',
      'true',
      'QUORUM_CONFIG_INVALID P=2 and L=3 do not intersect for N=5: need L + P > N',
      'true',
      'true',
      'false',
    ]);
  });
});
