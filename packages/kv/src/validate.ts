/**
 * The static limits of a command: what can be checked from the command alone, before it meets
 * the state. Every problem names the field and the limit; a command with any gets `invalid`.
 */
import { assertNever } from './assert.js';
import {
  CLIENT_ID_BYTES_MAX,
  KEY_BYTES_MAX,
  LEASE_TTL_MS_MAX,
  LEASE_TTL_MS_MIN,
  LESSOR_HOLDER_BYTES_MAX,
  RANGE_LIMIT_MAX,
  TXN_BYTES_MAX,
  TXN_OPS_MAX,
  TXN_READ_KEYS_MAX,
  VALUE_BYTES_MAX,
} from './limits.js';
import type { KvCommand, KvCommandOp, TxnOp } from './types.js';

function isPositive(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1;
}
function isNatural(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checkKey(key: Uint8Array, field: string, problems: string[], allowEmpty = false): void {
  if (!allowEmpty && key.length === 0) problems.push(`${field}: must not be empty`);
  if (key.length > KEY_BYTES_MAX)
    problems.push(`${field}: ${key.length} bytes exceeds KEY_BYTES_MAX (${KEY_BYTES_MAX})`);
}

function checkValue(value: Uint8Array, field: string, problems: string[]): void {
  if (value.length > VALUE_BYTES_MAX)
    problems.push(`${field}: ${value.length} bytes exceeds VALUE_BYTES_MAX (${VALUE_BYTES_MAX})`);
}

function checkLease(lease: number, field: string, problems: string[]): void {
  if (!isPositive(lease)) problems.push(`${field}: must be a positive safe integer`);
}

/** Payload bytes of a transaction operation (keys, prefixes and values). */
function txnOpBytes(op: TxnOp): number {
  switch (op.type) {
    case 'get':
    case 'delete':
      return op.key.length;
    case 'range':
      return op.prefix.length;
    case 'put':
      return op.key.length + op.value.length;
    default:
      return assertNever(op, 'txn op');
  }
}

function checkOp(op: KvCommandOp, at: string, problems: string[]): void {
  switch (op.type) {
    case 'get':
    case 'delete':
      checkKey(op.key, `${at}key`, problems);
      break;
    case 'range':
      checkKey(op.prefix, `${at}prefix`, problems, true);
      if (!isPositive(op.limit) || op.limit > RANGE_LIMIT_MAX)
        problems.push(`${at}limit: must be 1..${RANGE_LIMIT_MAX} (RANGE_LIMIT_MAX)`);
      break;
    case 'put':
      checkKey(op.key, `${at}key`, problems);
      checkValue(op.value, `${at}value`, problems);
      if (op.lease !== undefined) checkLease(op.lease, `${at}lease`, problems);
      break;
    case 'cas':
      checkKey(op.key, `${at}key`, problems);
      checkValue(op.value, `${at}value`, problems);
      if (!isNatural(op.expectedVersion))
        problems.push(`${at}expectedVersion: must be a non-negative safe integer`);
      break;
    case 'txn': {
      for (const [name, list] of [
        ['compare', op.compare],
        ['success', op.success],
        ['failure', op.failure],
      ] as const) {
        if (list.length > TXN_OPS_MAX)
          problems.push(`${name}: ${list.length} entries exceeds TXN_OPS_MAX (${TXN_OPS_MAX})`);
      }
      let bytes = 0;
      op.compare.forEach((c, i) => {
        checkKey(c.key, `compare[${i}].key`, problems);
        bytes += c.key.length;
        if (c.target === 'value') {
          checkValue(c.value, `compare[${i}].value`, problems);
          bytes += c.value.length;
        } else if (!isNatural(c.operand)) {
          problems.push(`compare[${i}].operand: must be a non-negative safe integer`);
        }
      });
      let readKeys = 0;
      for (const [name, list] of [
        ['success', op.success],
        ['failure', op.failure],
      ] as const) {
        list.forEach((o, i) => {
          checkOp(o, `${name}[${i}].`, problems);
          bytes += txnOpBytes(o);
          if (o.type === 'get') readKeys += 1;
          else if (o.type === 'range') readKeys += isPositive(o.limit) ? o.limit : 0;
        });
      }
      if (bytes > TXN_BYTES_MAX)
        problems.push(`txn: ${bytes} payload bytes exceeds TXN_BYTES_MAX (${TXN_BYTES_MAX})`);
      if (readKeys > TXN_READ_KEYS_MAX)
        problems.push(
          `txn: reads may return ${readKeys} keys, exceeds TXN_READ_KEYS_MAX (${TXN_READ_KEYS_MAX})`,
        );
      break;
    }
    case 'lease-grant':
      if (
        !Number.isSafeInteger(op.ttlMs) ||
        op.ttlMs < LEASE_TTL_MS_MIN ||
        op.ttlMs > LEASE_TTL_MS_MAX
      )
        problems.push(
          `ttlMs: must be ${LEASE_TTL_MS_MIN}..${LEASE_TTL_MS_MAX} (LEASE_TTL_MS_MIN..LEASE_TTL_MS_MAX)`,
        );
      break;
    case 'lease-revoke':
      checkLease(op.lease, 'lease', problems);
      if (op.reason === 'expired' && !isNatural(op.epoch))
        problems.push('epoch: must be a non-negative safe integer');
      break;
    case 'lease-keepalive':
    case 'lease-ttl':
      checkLease(op.lease, 'lease', problems);
      break;
    case 'lease-list':
    case 'open-session':
    case 'close-session':
    case 'session-keepalive':
      break;
    case 'lessor-epoch':
      if (op.holder.length === 0 || op.holder.length > LESSOR_HOLDER_BYTES_MAX)
        problems.push(
          `holder: must be 1..${LESSOR_HOLDER_BYTES_MAX} bytes (LESSOR_HOLDER_BYTES_MAX)`,
        );
      break;
    default:
      assertNever(op, 'op');
  }
}

/** Every static limit a command breaks (empty when valid), each naming the field and the rule. */
export function validateCommand(command: KvCommand): string[] {
  const problems: string[] = [];
  const s = command.session;
  if (s !== undefined) {
    if (s.clientId.length === 0 || s.clientId.length > CLIENT_ID_BYTES_MAX)
      problems.push(`session.clientId: must be 1..${CLIENT_ID_BYTES_MAX} bytes`);
    if (!isPositive(s.seq)) problems.push('session.seq: must be a positive safe integer');
  }
  const ref = command.sessionRef;
  if (ref !== undefined) {
    if (!isPositive(ref.sessionId))
      problems.push('sessionRef.sessionId: must be a positive safe integer');
    if (!isPositive(ref.seq)) problems.push('sessionRef.seq: must be a positive safe integer');
  }
  const hasSession = s !== undefined || ref !== undefined;
  const op = command.op;
  if (op.type === 'open-session' && hasSession)
    problems.push('open-session: takes no session (it creates one)');
  if ((op.type === 'close-session' || op.type === 'session-keepalive') && !hasSession)
    problems.push(`${op.type}: needs the session it acts on`);
  checkOp(op, '', problems);
  return problems;
}
