/**
 * Compact, stable text for messages and writes in traces. Messages are opaque to the
 * simulator, so this formats their fields generically: ballots as `round.node`, entries as
 * `slot@ballot=value`, values as `noop` or `[client:seq ...]`.
 */
import type { SimMessage, SimPersistRequest } from './core-types.js';
import { describeConfigState, type ConfigState } from '@flexpaxos/paxos';
import { describeValue } from './commands.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Formats any field value of a message. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '-';
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return String(v);
  if (v instanceof Uint8Array) return `${v.length}B`;
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(' ') + ']';
  if (isObject(v)) {
    if ('round' in v && 'nodeId' in v) return `${formatValue(v['round'])}.${formatValue(v['nodeId'])}`;
    if ('kind' in v && (v['kind'] === 'noop' || v['kind'] === 'commands' || v['kind'] === 'config')) {
      return describeValue(v as Parameters<typeof describeValue>[0]);
    }
    if ('incoming' in v && isObject(v['incoming'])) {
      return `(${describeConfigState(v as unknown as ConfigState)})`;
    }
    if ('slot' in v && 'value' in v) {
      const b = 'ballot' in v ? '@' + formatValue(v['ballot']) : '';
      return `${formatValue(v['slot'])}${b}=${formatValue(v['value'])}`;
    }
    if ('meta' in v && 'data' in v && isObject(v['meta'])) return `snapshot@${formatValue(v['meta']['index'])}`;
    return '{' + Object.keys(v).sort().map((k) => `${k}=${formatValue(v[k])}`).join(' ') + '}';
  }
  return typeof v;
}

/** `prepare 1->2 ballot=1.1 fromSlot=1`. */
export function formatMessage(m: SimMessage): string {
  const rec = m as unknown as Record<string, unknown>;
  const fields = Object.keys(rec)
    .filter((k) => k !== 'type' && k !== 'from' && k !== 'to' && rec[k] !== undefined)
    .sort()
    .map((k) => `${k}=${formatValue(rec[k])}`);
  return [`${m.type} ${m.from}->${m.to}`, ...fields].join(' ');
}

/** `promised=1.1 committed=0 entries=[1@1.1=noop]`. */
export function formatPersist(p: SimPersistRequest): string {
  const parts: string[] = [];
  if (p.hardState !== undefined) {
    parts.push(`promised=${formatValue(p.hardState.promised)} committed=${p.hardState.committed}`);
  }
  if (p.entries.length > 0) parts.push(`entries=${formatValue(p.entries)}`);
  if (p.snapshot !== undefined) parts.push(formatValue(p.snapshot));
  if (p.truncateBelow !== undefined) parts.push(`truncateBelow=${p.truncateBelow}`);
  if (p.baseConfig !== undefined) parts.push(`base=${describeValue({ kind: 'config', config: p.baseConfig })}`);
  return parts.length === 0 ? '(empty)' : parts.join(' ');
}
