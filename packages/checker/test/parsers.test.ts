import { describe, expect, it } from 'vitest';
import { parseFlexKvJson, parseJepsenRegister, parsePorcupineKv } from '../src/index.js';

describe('parsePorcupineKv', () => {
  it('pairs invocations and completions per process, times in line order', () => {
    const text = [
      '{:process 3, :type :invoke, :f :append, :key "7", :value "x 3 0 y"}',
      '{:process 1, :type :invoke, :f :get, :key "9", :value nil}',
      '{:process 3, :type :ok, :f :append, :key "7", :value "x 3 0 y"}',
      '{:process 1, :type :ok, :f :get, :key "9", :value "ab"}',
      '{:process 2, :type :invoke, :f :put, :key "9", :value "z"}',
    ].join('\n');
    const r = parsePorcupineKv(text);
    expect(r).toEqual({
      ok: true,
      value: [
        {
          clientId: '3',
          input: { op: 'append', key: '7', value: 'x 3 0 y' },
          call: 0,
          output: { value: '' },
          return: 2,
        },
        {
          clientId: '1',
          input: { op: 'get', key: '9', value: '' },
          call: 1,
          output: { value: 'ab' },
          return: 3,
        },
        {
          clientId: '2',
          input: { op: 'put', key: '9', value: 'z' },
          call: 4,
          output: undefined,
          return: undefined,
        },
      ],
    });
  });

  it('reports a malformed line', () => {
    expect(parsePorcupineKv('{:process 1, :type :bogus}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/line 1/) as unknown,
    });
  });
});

describe('parseJepsenRegister', () => {
  it('reads tab- or space-separated events, :info as pending and failed reads as unknown', () => {
    const text = [
      'INFO  jepsen.util - 0\t:invoke\t:write\t4',
      'INFO  jepsen.util - 1   :invoke :cas    [1 2]',
      'INFO  jepsen.util - 2\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 0\t:ok\t:write\t4',
      'INFO  jepsen.util - 1\t:info\t:cas\t[1 2]',
      'INFO  jepsen.util - 2\t:fail\t:read\t:timed-out',
      'INFO  jepsen.util - 3\t:invoke\t:cas\t[4 nil]',
      'INFO  jepsen.util - 3\t:fail\t:cas\t[4 nil]',
      'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
      'some other log line',
    ].join('\n');
    const r = parseJepsenRegister(text);
    expect(r).toEqual({
      ok: true,
      value: [
        {
          clientId: '0',
          input: { f: 'write', value: '4' },
          call: 0,
          output: { f: 'write' },
          return: 3,
        },
        {
          clientId: '1',
          input: { f: 'cas', from: '1', to: '2' },
          call: 1,
          output: undefined,
          return: undefined,
        },
        { clientId: '2', input: { f: 'read' }, call: 2, output: undefined, return: 5 },
        {
          clientId: '3',
          input: { f: 'cas', from: '4', to: null },
          call: 6,
          output: { f: 'cas', ok: false },
          return: 7,
        },
      ],
    });
  });

  it('reports a completion without an invocation', () => {
    expect(parseJepsenRegister('INFO  jepsen.util - 0\t:ok\t:read\t3')).toMatchObject({
      ok: false,
    });
    expect(parseJepsenRegister('not a log at all')).toMatchObject({ ok: false });
  });
});

describe('parseFlexKvJson', () => {
  it('reads operations and treats null output and return as unknown', () => {
    const text = JSON.stringify([
      {
        clientId: 1,
        input: { type: 'put', key: 'k', value: 'v' },
        call: 0,
        output: null,
        return: null,
      },
    ]);
    expect(parseFlexKvJson(text)).toEqual({
      ok: true,
      value: [
        {
          clientId: 1,
          input: { type: 'put', key: 'k', value: 'v' },
          call: 0,
          output: undefined,
          return: undefined,
        },
      ],
    });
  });

  it('reports malformed input', () => {
    expect(parseFlexKvJson('{')).toMatchObject({ ok: false });
    expect(parseFlexKvJson('[{"input":{"type":"nope"},"call":0,"clientId":1}]')).toMatchObject({
      ok: false,
    });
  });
});
