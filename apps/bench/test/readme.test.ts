// The results tables of apps/bench/README.md are the ones the benchmark wrote to results/
// (regenerate both with the commands in the README): figures in the README and in the JSON
// records cannot drift apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function dataRows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => /^\| +\d/.test(line));
}

describe('apps/bench/README.md', () => {
  it.each(['sweep', 'full', 'kv'])('shows every row of results/%s.md', (name) => {
    const rows = dataRows(readFileSync(new URL(`../results/${name}.md`, import.meta.url), 'utf8'));
    expect(rows.length).toBeGreaterThan(0);
    const missing = rows.filter((row) => !readme.includes(`${row}\n`));
    expect(missing).toEqual([]);
  });

  it.each(['kv', 'compare', 'reconfig', 'double-fault'])(
    'shows the whole table of results/%s.md',
    (name) => {
      const table = readFileSync(new URL(`../results/${name}.md`, import.meta.url), 'utf8');
      expect(readme).toContain(`${table.trimEnd()}\n`);
    },
  );

  it('has no other sweep rows than those, in the same order', () => {
    const expected = ['sweep', 'full'].flatMap((name) =>
      dataRows(readFileSync(new URL(`../results/${name}.md`, import.meta.url), 'utf8')),
    );
    // Sweep rows are the ones with a delay column (`none` or a `node:` spec).
    const shown = dataRows(readme).filter((row) => /\| (none|node:\S*) +\|/.test(row));
    expect(shown).toEqual(expected);
  });
});
