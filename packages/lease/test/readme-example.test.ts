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
      '0',
      'false',
      'true 4400',
      'lease-granted until 4510',
      '{"ok":false,"reason":"not-applied"}',
      '{"ok":true,"validUntilMs":4400}',
      '{"ok":false,"reason":"no-lease"}',
      'false true',
      'false',
      'drift-below-half-lease, lease-plus-drift-below-election-timeout',
    ]);
  });
});
