// The README's examples, kept runnable: each is a file in examples/, included verbatim, and
// prints what its comments say.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

async function printed(module: string): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args).replace(/\s+/g, ' '));
  });
  await import(module);
  return lines;
}

describe('README examples', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const name of ['quick-start', 'leases-and-watch']) {
    it(`includes examples/${name}.ts verbatim`, () => {
      const example = readFileSync(new URL(`../examples/${name}.ts`, import.meta.url), 'utf8');
      expect(readme).toContain('```ts\n' + example + '```');
    });
  }

  it('quick-start prints what its comments say', async () => {
    expect(await printed('../examples/quick-start.js')).toEqual([
      "{ type: 'open-session', sessionId: 1, revision: 1 }",
      "{ type: 'put', version: 1, revision: 2 }",
      '0',
      'error',
      "{ type: 'cas', succeeded: true, version: 2, revision: 5 }",
      "[ true, 6, [ 'put', 'get' ] ]",
      '[ [ 2, 2 ], [ 1, 6 ] ]',
      'true',
    ]);
  });

  it('leases-and-watch prints what its comments say', async () => {
    expect(await printed('../examples/leases-and-watch.js')).toEqual([
      'leader 1',
      "[ 2000, [ 'locks/a' ] ]",
      "{ kind: 'renewed', lease: 1, ttlMs: 2000 }",
      '2000',
      '[]',
      "{ type: 'lease-revoke', lease: 1, reason: 'expired', epoch: 1 }",
      "{ type: 'lease-revoke', revoked: true, deleted: 1, revision: 4 }",
      "3 [ 'put locks/a' ]",
      "4 [ 'delete locks/a' ]",
    ]);
  });
});
