/**
 * Structured logs, written by `pino`: one JSON object per line on stderr, with the fields
 * `level` (`debug`, `info`, `warn`, `error`), `ts` (ISO time), the bindings of the logger
 * (`node`, `cluster`, `component`), the event's fields, and `msg`. Errors at the top level of
 * the fields are written as `{ name, message, code }`.
 *
 * A logger is passed in explicitly (no global logger, conventions "Avoid"); each part of the
 * node logs through a child bound to its {@link LogComponent}. Below the configured level a
 * call is a no-op (pino replaces the method), so the debug lines on the message path cost
 * nothing at the default `info`. Lines are written synchronously: a node logs a handful of
 * lines per election, start or stop, and a line written before `process.exit` must not be
 * lost.
 *
 * Pretty printing for terminals (`pino-pretty`) runs in the launcher, which reads the nodes'
 * JSON log files (`launcher.ts`, `log-view.ts`), never in a node.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The parts of a node that log, bound as `component` on their child loggers. */
export type LogComponent = 'node' | 'paxos' | 'transport' | 'storage' | 'client' | 'http';

/** A structured logger. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Readonly<Record<string, unknown>>): Logger;
}

/** `log` bound to one component (`{ component }` on every line). */
export function componentLogger(log: Logger, component: LogComponent): Logger {
  return log.child({ component });
}

/** An Error as a log field: name, message and, when it has one, its stable `code`. */
function errorField(e: Error): Record<string, unknown> {
  const code = (e as { code?: unknown }).code;
  return code === undefined
    ? { name: e.name, message: e.message }
    : { name: e.name, message: e.message, code };
}

class PinoBackedLogger implements Logger {
  readonly #p: PinoLogger;
  constructor(p: PinoLogger) {
    this.#p = p;
  }
  log(level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>): void {
    if (fields === undefined) this.#p[level](msg);
    else this.#p[level](fields, msg);
  }
  child(fields: Readonly<Record<string, unknown>>): Logger {
    return new PinoBackedLogger(this.#p.child(fields));
  }
}

/**
 * A logger writing JSON lines at `level` and above, with `base` on every line, to `write`
 * (default: stderr, synchronously).
 */
export function jsonLogger(
  level: LogLevel,
  base: Readonly<Record<string, unknown>> = {},
  write?: (line: string) => void,
): Logger {
  const destination: DestinationStream =
    write === undefined ? pino.destination({ fd: 2, sync: true }) : { write };
  const p = pino(
    {
      level,
      base: { ...base },
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => {
          let out = fields;
          for (const [k, v] of Object.entries(fields)) {
            if (!(v instanceof Error)) continue;
            if (out === fields) out = { ...fields };
            out[k] = errorField(v);
          }
          return out;
        },
      },
    },
    destination,
  );
  return new PinoBackedLogger(p);
}
