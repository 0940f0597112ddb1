/**
 * How the `flexpaxos` client commands print a result (`-w, --write-out`, as etcdctl):
 *
 * - `table` (default): lines of text, then a table with a header and aligned columns;
 * - `simple`: the same lines, then one row per line, cells joined by `, `, no header;
 * - `json`: one JSON line (`--json` is the same).
 */

/** The `--write-out` formats. */
export const WRITE_OUT_FORMATS = ['table', 'json', 'simple'] as const;
/** One `--write-out` format. */
export type WriteOut = (typeof WRITE_OUT_FORMATS)[number];

/** One table cell; null and undefined print as `-`. */
export type Cell = string | number | boolean | null | undefined;

/** What a command shows in `table` and `simple` format. */
export interface View {
  /** Lines before the rows. */
  readonly lines?: readonly string[];
  /** Column names (table format only). */
  readonly headers?: readonly string[];
  readonly rows?: readonly (readonly Cell[])[];
  /** Lines after the rows. */
  readonly after?: readonly string[];
}

const text = (c: Cell): string => (c === null || c === undefined ? '-' : String(c));

/** `headers` and `rows` as aligned columns (two spaces apart), one line each, newline-ended. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [headers, ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** The text of a result: `json` as one JSON line, else `view` in the format. */
export function render(format: WriteOut, json: unknown, view: View): string {
  if (format === 'json') return `${JSON.stringify(json)}\n`;
  const parts: string[] = [];
  for (const l of view.lines ?? []) parts.push(`${l}\n`);
  if (view.rows !== undefined) {
    if (format === 'table' && view.headers !== undefined) {
      parts.push(table(view.headers, view.rows));
    } else {
      for (const r of view.rows) parts.push(`${r.map(text).join(', ')}\n`);
    }
  }
  for (const l of view.after ?? []) parts.push(`${l}\n`);
  return parts.join('');
}

/** An entry or event without its byte fields, for JSON output (the text fields say the same). */
export function withoutBytes<T extends { keyBytes?: unknown; valueBytes?: unknown }>(
  e: T,
): Omit<T, 'keyBytes' | 'valueBytes'> {
  const { keyBytes: _k, valueBytes: _v, ...rest } = e;
  return rest;
}

/** `n` bytes for people: `512 B`, `19.3 KiB`, `2.0 MiB`, ...; `-` when unknown. */
export function humanBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u] ?? ''}`;
}

/** Milliseconds for people: `0.8 ms`, `12.3 ms`, `1204 ms`. */
export function humanMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}
