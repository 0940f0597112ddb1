import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const example = readFileSync(new URL('../examples/quick-start.ts', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

// The README example against real RocksDB in a temporary directory (the example removes it).
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
      '{"type":"put","version":1,"revision":2}',
      'fsynced writes: true',
      'recovered: promised round 1 applied 2',
      'greeting = hello',
      'DATA_DIR_MISMATCH',
    ]);
  });
});
