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

  it('elects a leader and applies the proposed commands on every node', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    await import('../examples/quick-start.js');
    expect(lines).toEqual([
      'leader: 2 ballot round: 1',
      'node 1 applied: put x=1, put y=2',
      'node 2 applied: put x=1, put y=2',
      'node 3 applied: put x=1, put y=2',
    ]);
  });
});
