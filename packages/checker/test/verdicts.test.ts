import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkLinearizability,
  parseJepsenRegister,
  parsePorcupineKv,
  porcupineKvModel,
  registerModel,
} from '../src/index.js';
import type { Verdict } from '../src/index.js';

/**
 * Porcupine's test histories (MIT), vendored unchanged in `data/porcupine` so the suite runs
 * wherever the repository is cloned; see `data/porcupine/README.md`.
 */
const DATA = fileURLToPath(new URL('./data/porcupine', import.meta.url));
const verdicts = JSON.parse(readFileSync(join(DATA, 'verdicts.json'), 'utf8')) as Record<
  string,
  boolean
>;

function verdictOf(file: string): Verdict {
  const text = readFileSync(join(DATA, file), 'utf8');
  if (file.startsWith('kv/')) {
    const p = parsePorcupineKv(text);
    if (!p.ok) throw new Error(p.error);
    return checkLinearizability(porcupineKvModel, p.value).verdict;
  }
  const p = parseJepsenRegister(text);
  if (!p.ok) throw new Error(p.error);
  return checkLinearizability(registerModel, p.value).verdict;
}

describe('checkLinearizability on the Porcupine test data', () => {
  it('has all 108 verdicts to reproduce, both kinds present', () => {
    const values = Object.values(verdicts);
    expect(values).toHaveLength(108);
    expect(values.filter((v) => v)).toHaveLength(26);
  });

  it.each(Object.entries(verdicts))(
    'reproduces the verdict for %s (linearizable: %s)',
    (file, expected) => {
      expect(verdictOf(file)).toBe(expected ? 'linearizable' : 'not-linearizable');
    },
  );
});
