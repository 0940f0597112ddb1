import { describe, expect, it } from 'vitest';
import { parseTtlMs } from '../src/cli-leases.js';
import { TxnSyntaxError, parseTxnText } from '../src/cli-txn.js';

describe("flexpaxos txn's text format (etcdctl's)", () => {
  it('reads compares, success and failure blocks with quoted and bare words', () => {
    const spec = parseTxnText(
      [
        'mod("config") > "0"',
        'value("owner") = "me and you"',
        'ver(lock) != 3',
        '',
        'put config v2',
        'put "a key" "a \\"value\\"" --lease 7',
        'get --prefix app/',
        '',
        'get config',
        'del lock',
        '',
      ].join('\n'),
    );
    expect(spec.compare).toEqual([
      { key: 'config', target: 'mod-revision', op: '>', value: 0 },
      { key: 'owner', target: 'value', op: '=', value: 'me and you' },
      { key: 'lock', target: 'version', op: '!=', value: 3 },
    ]);
    expect(spec.success).toEqual([
      { type: 'put', key: 'config', value: 'v2' },
      { type: 'put', key: 'a key', value: 'a "value"', lease: 7 },
      { type: 'range', prefix: 'app/' },
    ]);
    expect(spec.failure).toEqual([
      { type: 'get', key: 'config' },
      { type: 'delete', key: 'lock' },
    ]);
  });

  it('takes an empty compares block (two empty lines leave a block empty)', () => {
    expect(parseTxnText('\nput k v\n')).toEqual({
      compare: [],
      success: [{ type: 'put', key: 'k', value: 'v' }],
      failure: [],
    });
    expect(parseTxnText('c(k) = 0\n\n\nget k\n')).toMatchObject({
      success: [],
      failure: [{ type: 'get', key: 'k' }],
    });
  });

  it('names the line and what was expected on bad input', () => {
    const bad = (text: string): string => {
      try {
        parseTxnText(text);
      } catch (err) {
        expect(err).toBeInstanceOf(TxnSyntaxError);
        return (err as Error).message;
      }
      throw new Error(`parsed: ${text}`);
    };
    expect(bad('mod(k) >= 1')).toBe('line 1: unknown operator >= (=, !=, < or >)');
    expect(bad('mod k > 1')).toMatch(/^line 1: expected a compare/);
    expect(bad('size(k) = 1')).toContain('unknown compare target size');
    expect(bad('ver(k) = x')).toContain('compares a whole number');
    expect(bad('\nput k')).toBe('line 2: expected put KEY VALUE [--lease ID]');
    expect(bad('\n\nmove a b')).toContain('line 3: unknown operation move');
    expect(bad('\nput "k v\n')).toContain('unterminated quoted string');
    expect(bad('\n\n\n\nget k')).toContain('line 5: text after the failure block');
  });
});

describe('lease TTLs on the command line', () => {
  it('reads bare seconds like etcdctl, or a unit', () => {
    expect(parseTtlMs('10')).toBe(10_000);
    expect(parseTtlMs('1500ms')).toBe(1500);
    expect(parseTtlMs('2.5s')).toBe(2500);
    expect(parseTtlMs('2m')).toBe(120_000);
    expect(() => parseTtlMs('0')).toThrow(/at least 1/);
    expect(() => parseTtlMs('ten')).toThrow(/seconds or have a unit/);
  });
});
