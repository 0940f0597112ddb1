import { describe, expect, it } from 'vitest';
import { STATE_SPACES } from '../src/index.js';
import type { StateWrite } from '../src/index.js';

describe('STATE_SPACES', () => {
  it('lists the data and sessions spaces once each', () => {
    expect(STATE_SPACES).toEqual(['data', 'sessions']);
  });

  it('types a delete as an undefined value', () => {
    const del: StateWrite = { space: 'data', key: new Uint8Array([1]), value: undefined };
    expect(STATE_SPACES).toContain(del.space);
    expect(del.value).toBeUndefined();
  });
});
