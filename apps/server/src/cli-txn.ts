/**
 * `flexpaxos txn`: a transaction from etcdctl's text format on stdin, or from a JSON file.
 *
 * The text format (`etcdctl txn`), three blocks separated by an empty line:
 *
 * ```
 * mod("config") = "41"            <- compares, one per line
 * value("owner") = "me"
 *
 * put config v2                   <- success: get KEY | get --prefix PREFIX | put KEY VALUE [--lease ID] | del KEY
 * get config
 *
 * get config                      <- failure, same operations
 * ```
 *
 * Compare targets: `ver`/`version`, `c`/`create`, `m`/`mod`, `lease`, `val`/`value`; operators
 * `=`, `!=`, `<`, `>`. Keys and values are bare words or double-quoted strings (JSON escapes).
 * The JSON file holds a `TxnSpec` of `@flexpaxos/client`: `{ "compare": [...], "success": [...],
 * "failure": [...] }`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { TxnCompareSpec, TxnOpOutcome, TxnOpSpec, TxnSpec } from '@flexpaxos/client';
import type { CliIo } from './cli-context.js';
import { withoutBytes } from './cli-output.js';
import { CLIENT_GLOBALS, action, examples, usage, withClient, withGlobals } from './cli-context.js';

/** A line of the text format that does not parse; `line` counts from 1. */
export class TxnSyntaxError extends Error {
  override readonly name = 'TxnSyntaxError';
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** Splits a line into words; double-quoted words take JSON escapes. */
function words(text: string, line: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new TxnSyntaxError(line, 'unterminated quoted string');
      try {
        out.push(JSON.parse(text.slice(i, j + 1)) as string);
      } catch {
        throw new TxnSyntaxError(line, `bad escape in ${text.slice(i, j + 1)}`);
      }
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/\s/.test(text[j] ?? '')) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

const TARGETS: Record<string, TxnCompareSpec['target']> = {
  ver: 'version',
  version: 'version',
  c: 'create-revision',
  create: 'create-revision',
  m: 'mod-revision',
  mod: 'mod-revision',
  lease: 'lease',
  val: 'value',
  value: 'value',
};

const COMPARE_RE = /^(\w+)\(\s*("(?:[^"\\]|\\.)*"|[^)\s]+)\s*\)\s*(!=|=|<|>)\s*(.+)$/;

function parseCompare(text: string, line: number): TxnCompareSpec {
  const m = COMPARE_RE.exec(text.trim());
  if (m === null) {
    throw new TxnSyntaxError(line, `expected a compare like mod("key") > "0", got: ${text.trim()}`);
  }
  const [, name = '', rawKey = '', op = '', rawValue = ''] = m;
  if (rawValue.startsWith('=')) {
    throw new TxnSyntaxError(line, `unknown operator ${op}= (=, !=, < or >)`);
  }
  const target = TARGETS[name];
  if (target === undefined) {
    throw new TxnSyntaxError(
      line,
      `unknown compare target ${name} (version, create, mod, lease or value)`,
    );
  }
  const [key] = words(rawKey, line);
  const vs = words(rawValue, line);
  if (key === undefined || vs.length !== 1) {
    throw new TxnSyntaxError(line, 'a compare needs one key and one value');
  }
  const value = vs[0] ?? '';
  const cmp = op as TxnCompareSpec['op'];
  if (target === 'value') return { key, target, op: cmp, value };
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new TxnSyntaxError(line, `${name} compares a whole number, got ${JSON.stringify(value)}`);
  }
  return { key, target, op: cmp, value: Number(value) };
}

function parseOp(text: string, line: number): TxnOpSpec {
  const w = words(text, line);
  const [verb, ...rest] = w;
  const need = (n: number, form: string): void => {
    if (rest.length !== n) throw new TxnSyntaxError(line, `expected ${form}`);
  };
  switch (verb) {
    case 'get':
      if (rest[0] === '--prefix') {
        need(2, 'get --prefix PREFIX');
        return { type: 'range', prefix: rest[1] ?? '' };
      }
      need(1, 'get KEY');
      return { type: 'get', key: rest[0] ?? '' };
    case 'put': {
      if (rest.length === 4 && rest[2] === '--lease') {
        const lease = Number(rest[3]);
        if (!/^\d+$/.test(rest[3] ?? '') || !Number.isSafeInteger(lease) || lease < 1)
          throw new TxnSyntaxError(line, `--lease takes a lease id, got ${rest[3] ?? ''}`);
        return { type: 'put', key: rest[0] ?? '', value: rest[1] ?? '', lease };
      }
      need(2, 'put KEY VALUE [--lease ID]');
      return { type: 'put', key: rest[0] ?? '', value: rest[1] ?? '' };
    }
    case 'del':
    case 'delete':
      need(1, 'del KEY');
      return { type: 'delete', key: rest[0] ?? '' };
    case undefined:
    default:
      throw new TxnSyntaxError(
        line,
        `unknown operation ${verb ?? ''} (get, get --prefix, put or del)`,
      );
  }
}

/**
 * Parses etcdctl's text format: compares, then the success operations, then the failure
 * operations, each block ended by an empty line (as etcdctl reads it: two empty lines in a row
 * leave a block empty; empty lines after the failure block are ignored).
 */
export function parseTxnText(input: string): TxnSpec {
  const sections: { text: string; line: number }[][] = [[], [], []];
  let at = 0;
  input.split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') {
      at++;
      return;
    }
    const section = sections[at];
    if (section === undefined) {
      throw new TxnSyntaxError(i + 1, 'text after the failure block (compares, success, failure)');
    }
    section.push({ text, line: i + 1 });
  });
  const [compares = [], success = [], failure = []] = sections;
  return {
    compare: compares.map((l) => parseCompare(l.text, l.line)),
    success: success.map((l) => parseOp(l.text, l.line)),
    failure: failure.map((l) => parseOp(l.text, l.line)),
  };
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function outcomeRow(r: TxnOpOutcome): (string | number | boolean | undefined)[] {
  switch (r.type) {
    case 'get':
      return [
        'get',
        r.entry?.key,
        r.entry?.value ?? '(not found)',
        r.entry?.version,
        r.entry?.revision,
      ];
    case 'range':
      return [
        'range',
        `${r.entries.length} keys${r.more ? ' (more)' : ''}`,
        r.entries.map((e) => `${e.key}=${e.value}`).join(' '),
        undefined,
        undefined,
      ];
    case 'put':
      return ['put', undefined, undefined, r.version, r.revision];
    case 'delete':
      return ['del', undefined, r.deleted ? 'deleted' : 'not found', r.prevVersion, r.revision];
  }
}

/** `flexpaxos txn [--file F]`. */
export function addTxnCommand(program: Command, io: CliIo, group: string): void {
  const txn = withGlobals(
    program
      .command('txn')
      .helpGroup(group)
      .summary('an atomic transaction: compares, then one of two operation lists')
      .description(
        "Run a transaction read from stdin in etcdctl's format (compares, an empty line, the success operations, an empty line, the failure operations) or from a JSON file. Compare targets: version, create, mod, lease, value; operators = != < >. Operations: get KEY, get --prefix PREFIX, put KEY VALUE [--lease ID], del KEY. Exit 0 when the compares held (success ran), 1 when they did not (failure ran).",
      )
      .addOption(
        new Option(
          '--file <path>',
          'a JSON file: { "compare": [...], "success": [...], "failure": [...] }',
        ),
      ),
    CLIENT_GLOBALS,
  );
  examples(txn, [
    `printf 'mod("config") = "41"\\n\\nput config v2\\n\\nget config\\n' | flexpaxos txn`,
    `printf 'version("lock") = "0"\\n\\nput lock me --lease 7\\n\\nget lock\\n' | flexpaxos txn -w json`,
    'flexpaxos txn --file txn.json',
  ]);
  action(txn, async (_args, cmd) => {
    const file = cmd.opts<{ file?: string }>().file;
    let spec: TxnSpec;
    try {
      spec =
        file === undefined
          ? parseTxnText(await readStdin())
          : (JSON.parse(readFileSync(file, 'utf8')) as TxnSpec);
    } catch (err) {
      if (err instanceof TxnSyntaxError || err instanceof SyntaxError)
        usage(cmd, `${file ?? 'stdin'}: ${err.message}`);
      throw err;
    }
    return withClient(cmd, io, async (ctx) => {
      const r = await ctx.client.txn(spec);
      ctx.print(
        {
          succeeded: r.succeeded,
          revision: r.revision,
          results: r.results.map((x) =>
            x.type === 'get'
              ? { type: 'get', entry: x.entry === undefined ? null : withoutBytes(x.entry) }
              : x.type === 'range'
                ? { type: 'range', entries: x.entries.map(withoutBytes), more: x.more }
                : x,
          ),
        },
        {
          lines: [`${r.succeeded ? 'SUCCESS' : 'FAILURE'} at revision ${r.revision}`],
          headers: ['op', 'key', 'value', 'version', 'revision'],
          rows: r.results.map(outcomeRow),
        },
      );
      return r.succeeded ? 0 : 1;
    });
  });
}
