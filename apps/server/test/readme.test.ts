// The configuration table of apps/server/README.md against the code: every setting the node
// accepts is documented once, with its environment variable and its default.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, CONFIG_FIELDS } from '../src/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Rows of the table whose first column is a flag: flag -> [environment, default, rule]. */
function configTable(): Map<string, readonly [string, string, string]> {
  const rows = new Map<string, readonly [string, string, string]>();
  for (const line of readme.split('\n')) {
    const m = /^\| `--([a-z-]+)` \| `([A-Z_]+)` \| ([^|]+) \| (.*) \|$/.exec(line);
    if (m === null) continue;
    const [, flag, env, def, rule] = m as unknown as [string, string, string, string, string];
    expect(rows.has(flag), `--${flag} documented twice`).toBe(false);
    rows.set(flag, [env, def.trim(), rule.trim()]);
  }
  return rows;
}

const camel = (f: string): string => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe('apps/server/README.md', () => {
  it('documents every setting and nothing else', () => {
    expect([...configTable().keys()].sort()).toEqual([...CONFIG_FIELDS, 'config'].sort());
  });

  it('states the rule of every setting', () => {
    for (const [flag, [, , rule]] of configTable()) expect(rule, `--${flag}`).not.toBe('');
  });

  it('names the environment variable of every setting', () => {
    for (const [flag, [env]] of configTable()) {
      expect(env).toBe(`FLEXPAXOS_${flag.replace(/-/g, '_').toUpperCase()}`);
    }
  });

  it('states the default of every setting that has one', () => {
    const table = configTable();
    for (const [key, value] of Object.entries(CONFIG_DEFAULTS)) {
      const flag = CONFIG_FIELDS.find((f) => camel(f) === key);
      expect(flag, key).toBeDefined();
      // A default may be qualified: `1500, or one election timeout if longer`.
      expect(table.get(flag ?? '')?.[1].split(', or ')[0], `--${flag ?? key}`).toBe(String(value));
    }
    for (const flag of ['id', 'cluster', 'nats', 'data-dir']) {
      expect(table.get(flag)?.[1], `--${flag}`).toBe('required');
    }
    // Members are needed only to bootstrap a new cluster (not with join, not on a restart).
    expect(table.get('members')?.[0]).toBe('FLEXPAXOS_MEMBERS');
    expect(table.get('members')?.[1]).toBe('none');
  });
});
