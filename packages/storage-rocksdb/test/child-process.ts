import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Bundles a TypeScript fixture (and the package source it imports) into one ES module with
 * the esbuild that ships with tsx, so a child starts as plain `node` (tsx's loader costs
 * about a second per start on a loaded machine, and the crash tests start many children).
 * The bundle lives under the package's `node_modules/.cache` so `@nxtedition/rocksdb`
 * resolves from it. Workspace packages resolve through their `source` export condition, as in
 * the tests. Returns the bundle's path.
 */
export async function bundleFixture(name: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const esbuild = createRequire(require.resolve('tsx'))('esbuild') as EsbuildLike;
  const outDir = join(packageDir, 'node_modules', '.cache', 'flexpaxos-fixtures');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await esbuild.build({
    entryPoints: [join(here, 'fixtures', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** A running child with its stdout split into lines. */
export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching `pattern` (rejects if the child exits first). */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves once the child has exited. */
  readonly exited: Promise<void>;
}

/** Starts `node bundle ...args` and collects its stdout lines. */
export function startChild(bundle: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: {
    pattern: RegExp;
    resolve: (line: string) => void;
    reject: (err: Error) => void;
  }[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        if (w !== undefined && w.pattern.test(line)) {
          waiters.splice(i, 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<void>((resolveExit) => {
    child.on('close', () => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`child exited before ${String(w.pattern)}; stderr: ${stderr}`));
      resolveExit();
    });
  });
  return {
    process: child,
    lines,
    exited,
    waitFor(pattern) {
      const found = lines.find((l) => pattern.test(l));
      if (found !== undefined) return Promise.resolve(found);
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`child already exited; stderr: ${stderr}`));
      }
      return new Promise((res, rej) => waiters.push({ pattern, resolve: res, reject: rej }));
    },
  };
}

/** A small seeded PRNG (mulberry32) so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
