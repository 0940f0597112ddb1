/**
 * Structured logs: one JSON object per line on stderr (`ts`, `level`, `msg`, then fields).
 * A logger is passed in explicitly (no global logger, conventions "Avoid").
 */

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A structured logger. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Readonly<Record<string, unknown>>): Logger;
}

/** A logger writing JSON lines to `write` (default: stderr) at `level` and above. */
export function jsonLogger(
  level: LogLevel,
  base: Readonly<Record<string, unknown>> = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  return {
    log(l, msg, fields) {
      if (RANK[l] < RANK[level]) return;
      const rec: Record<string, unknown> = {
        ts: new Date().toISOString(),
        level: l,
        msg,
        ...base,
        ...fields,
      };
      write(
        `${JSON.stringify(rec, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v))}\n`,
      );
    },
    child(fields) {
      return jsonLogger(level, { ...base, ...fields }, write);
    },
  };
}
