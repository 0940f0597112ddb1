/**
 * The launcher's view of its nodes' logs: `flexpaxos start` follows every `DIR/n<id>.log` (the
 * JSON lines each node appends) and echoes the new lines on its own stdout, either as they are
 * (`json`) or as readable one-line text (`pretty`, by `pino-pretty`, the default on a
 * terminal).
 *
 * The nodes never see any of this: they write JSON to their log file (their stderr is the
 * file), so a node's logging cost does not depend on a terminal, and a node keeps logging
 * when the launcher is gone (killed -9). The launcher reads each file on from where it
 * stopped, every {@link LOG_POLL_MS}.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { prettyFactory } from 'pino-pretty';

/** How the launcher shows node logs. */
export type LogFormat = 'pretty' | 'json' | 'none';

/** Every `--log-format` value. */
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json', 'none'];

/** How often the followed files are checked for new lines. */
export const LOG_POLL_MS = 100;

/**
 * A function turning one JSON log line (without its newline) into the text to show, with a
 * newline. `pretty`: `[HH:MM:ss.l] LEVEL: n<node> <component>: <msg> {fields}` in local time;
 * a line that is not JSON is shown as it is.
 */
export function logLineFormatter(
  format: Exclude<LogFormat, 'none'>,
  colorize = false,
): (line: string) => string {
  if (format === 'json') return (line) => `${line}\n`;
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    timestampKey: 'ts',
    ignore: 'node,cluster,component',
    messageFormat: 'n{node}{if component} {component}{end}: {msg}',
    errorLikeObjectKeys: [],
  });
  return (line) => {
    const text = pretty(line);
    return text.endsWith('\n') ? text : `${text}\n`;
  };
}

const TS = /"ts":"([^"]+)"/;

/** Follows files from their end at the time each is added; see the module comment. */
export class LogFollower {
  readonly #files: { fd: number; offset: number; partial: string; decoder: StringDecoder }[] = [];
  readonly #format: (line: string) => string;
  readonly #write: (text: string) => void;
  readonly #timer: NodeJS.Timeout;

  constructor(format: (line: string) => string, write: (text: string) => void) {
    this.#format = format;
    this.#write = write;
    this.#timer = setInterval(() => this.poll(), LOG_POLL_MS);
    this.#timer.unref();
  }

  /** Follows `path` (it must exist) from its present end. */
  add(path: string): void {
    const fd = openSync(path, 'r');
    this.#files.push({
      fd,
      offset: fstatSync(fd).size,
      partial: '',
      decoder: new StringDecoder('utf8'),
    });
  }

  /**
   * Shows every complete line appended since the last poll, the lines of all files merged in
   * the order of their `ts` (a line without one keeps the time of the line before it).
   */
  poll(): void {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const found: { ts: string; line: string }[] = [];
    for (const f of this.#files) {
      let ts = '';
      for (;;) {
        const n = readSync(f.fd, buf, 0, buf.length, f.offset);
        if (n <= 0) break;
        f.offset += n;
        const lines = (f.partial + f.decoder.write(buf.subarray(0, n))).split('\n');
        f.partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.length === 0) continue;
          ts = TS.exec(line)?.[1] ?? ts;
          found.push({ ts, line });
        }
      }
    }
    // ISO times of one clock sort as strings; the sort is stable.
    if (this.#files.length > 1) found.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    for (const { line } of found) this.#write(this.#format(line));
  }

  /** Shows what is left and stops following. */
  close(): void {
    clearInterval(this.#timer);
    this.poll();
    for (const f of this.#files) {
      if (f.partial.length > 0) this.#write(this.#format(f.partial));
      closeSync(f.fd);
    }
    this.#files.length = 0;
  }
}
