/**
 * Progress on stderr: a bar (cli-progress) when stderr is a terminal, one line per point
 * otherwise (or with `--no-progress`). The bar advances with time against the plan's estimate
 * and names the point and phase running.
 */
import cliProgress from 'cli-progress';
import type { PointPhase } from './run-point.js';

/** Progress display of a run. */
export interface Progress {
  /** A point begins (index from 0). */
  point(index: number, label: string): void;
  phase(phase: PointPhase): void;
  /** A point ended with this summary. */
  done(index: number, label: string, summary: string): void;
  /** Stops the bar (idempotent). */
  stop(): void;
}

function duration(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** A progress display for `total` points of about `pointS` seconds each. */
export function createProgress(total: number, pointS: number, bar: boolean): Progress {
  const startedAt = performance.now();
  if (!bar || !process.stderr.isTTY) {
    return {
      point: () => undefined,
      phase: () => undefined,
      done: (i, label, summary) => {
        process.stderr.write(
          `[${i + 1}/${total}] ${label}: ${summary} (${duration((performance.now() - startedAt) / 1000)})\n`,
        );
      },
      stop: () => undefined,
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | point {n}/{points} {label} | {phase} | eta {left}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const totalS = total * pointS;
  let index = 0;
  let pointStart = performance.now();
  let label = '';
  let phase = 'starting';
  let stopped = false;
  let pending: string | undefined;
  const b = multi.create(Math.round(totalS), 0, {
    n: 1,
    points: total,
    label,
    phase,
    left: duration(totalS),
  });
  const update = (): void => {
    const inPoint = Math.min(pointS * 0.98, (performance.now() - pointStart) / 1000);
    const value = index * pointS + inPoint;
    b.update(Math.round(value), {
      n: Math.min(total, index + 1),
      points: total,
      label,
      phase,
      left: duration(Math.max(0, totalS - value)),
    });
  };
  const timer = setInterval(update, 500);
  timer.unref();
  return {
    point: (i, l) => {
      index = i;
      label = l;
      pointStart = performance.now();
      phase = 'starting';
      update();
    },
    phase: (p) => {
      phase = p;
      update();
    },
    done: (i, l, summary) => {
      const line = `[${i + 1}/${total}] ${l}: ${summary}\n`;
      // MultiBar prints logged lines at its next redraw; the last one would be lost at stop.
      if (i + 1 >= total) pending = line;
      else multi.log(line);
      index = i + 1;
      pointStart = performance.now();
      update();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      multi.stop();
      if (pending !== undefined) process.stderr.write(pending);
    },
  };
}
