// The flexpaxos command line (commander): help, version, global options, exit codes,
// completion and `config check`; spawned as a real process (`spawnCli`) where the process
// matters (exit code, stdout vs stderr), in-process through `main` to walk every command.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { commandPath } from '../src/cli-context.js';
import type { CliIo } from '../src/cli-context.js';
import { isTestOnlySetting } from '../src/cli-config.js';
import { buildProgram, main } from '../src/cli-program.js';
import { CONFIG_DEFAULTS, CONFIG_FIELDS, gatherConfig, validateConfig } from '../src/config.js';
import { REPO_ROOT, spawnCli } from './harness.js';

const EXAMPLE = join(REPO_ROOT, 'apps/server/flexpaxos.example.json');
const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'apps/server/package.json'), 'utf8')) as {
    version: string;
  }
).version;
const tmp = mkdtempSync(join(tmpdir(), 'flexpaxos-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI as a process; resolves with its exit code and output. */
async function run(
  args: readonly string[],
): Promise<{ code: number | string; out: string; err: string }> {
  const p = spawnCli(args, 30_000);
  const code = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

/** Runs `main` in this process with captured output. */
async function runHere(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => (out += s), err: (s) => (err += s), env };
  const code = await main(args, io);
  return { code, out, err };
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

describe('flexpaxos (commander)', () => {
  it('prints the package version with --version and -V', async () => {
    const long = await run(['--version']);
    expect(long.code).toBe(0);
    expect(long.out.trim()).toBe(VERSION);
    const short = await run(['-V']);
    expect(short.code).toBe(0);
    expect(short.out.trim()).toBe(VERSION);
  });

  it('prints help on stdout with exit 0: --help, help, and put --help with examples', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['put', 'get', 'del', 'cas', 'range', 'status', 'members', 'quorum', 'leader'])
      expect(help.out).toContain(`  ${c} `);
    expect(help.out).toContain('Exit codes:');
    expect((await run(['help'])).out).toBe(help.out);
    const put = await run(['put', '--help']);
    expect(put.code).toBe(0);
    expect(put.err).toBe('');
    expect(put.out).toContain('Usage: flexpaxos put [options] <key> <value>');
    expect(put.out).toContain('Examples:');
    expect(put.out).toContain('Global options:');
  });

  it('gives every command a one-line summary and a help page with examples', async () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined, env: {} });
    const commands = allCommands(program);
    const top = program.commands.map((c) => c.name());
    for (const name of [
      'put',
      'get',
      'del',
      'cas',
      'range',
      'status',
      'members',
      'quorum',
      'leader',
      'start',
      'node',
      'endpoint',
      'config',
      'completion',
    ])
      expect(top).toContain(name);
    for (const c of commands) {
      const path = commandPath(c);
      const summary = c.summary() || c.description();
      expect(summary, path).not.toBe('');
      expect(summary, path).not.toContain('\n');
      const r = await runHere([...path.split(' '), '--help']);
      expect(r.code, path).toBe(0);
      expect(r.out, path).toContain(`Usage: flexpaxos ${path}`);
      expect(r.out, path).toMatch(/\nExamples:\n {2}\$ .*flexpaxos /);
      expect((await runHere(['help', ...path.split(' ')])).code, `help ${path}`).toBe(0);
    }
  });

  it('takes the global options before or after the command', async () => {
    const missing = join(tmp, 'no-cluster');
    const before = await run(['--dir', missing, 'status', '-w', 'table']);
    expect(before.code).toBe(1);
    expect(before.err).toContain(`no local cluster in ${missing}`);
    const after = await runHere(['status', '-w', 'table', '--dir', missing]);
    expect(after.code).toBe(1);
    expect(after.err).toContain(`no local cluster in ${missing}`);
    // Both spellings of the format, and a contradiction between them.
    const both = await runHere(['--json', 'put', 'k', 'v', '-w', 'table']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--json contradicts -w table');
    const bad = await runHere(['-w', 'yaml', 'status']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      "argument 'yaml' is invalid. Allowed choices are table, json, simple",
    );
    const half = await runHere(['get', 'k', '--nats', 'nats://127.0.0.1:4222']);
    expect(half.code).toBe(2);
    expect(half.err).toContain('give both --nats URL and --cluster NAME');
    // A global option the command does not take is refused wherever it is.
    const start = await runHere(['--json', 'start']);
    expect(start.code).toBe(2);
    expect(start.err).toContain("option '--json' does not apply to 'flexpaxos start'");
  });

  it('exits 2 on usage errors, naming the problem and pointing at --help', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("error: unknown command 'frobnicate'");
    expect(unknown.err).toContain("run 'flexpaxos --help'");
    const cases: [string[], string, string][] = [
      [['put', 'k'], "missing required argument 'value'", 'flexpaxos put --help'],
      [['put', 'k', 'v', '--bogus'], "unknown option '--bogus'", 'flexpaxos put --help'],
      [
        ['get', 'k', '--read', 'eventual'],
        'Allowed choices are lease, quorum, stale',
        'get --help',
      ],
      [['cas', 'k', 'one', 'v'], "invalid for argument 'expected-version'", 'cas --help'],
      [['range', 'p', '--limit', '0'], 'must be an integer >= 1', 'range --help'],
      [['status', '--timeout-ms', 'soon'], 'must be an integer >= 1', 'status --help'],
      [['quorum', 'set'], "required option '--replication <P>' not specified", 'quorum set --help'],
      [['members', 'add', 'x'], "invalid for argument 'id'", 'members add --help'],
      [['leader', 'prefer', '0'], 'must be a node id', 'leader prefer --help'],
      [['completion', 'fish'], 'Allowed choices are bash, zsh', 'completion --help'],
      [['start', 'stray'], 'node settings go after --', 'start --help'],
    ];
    for (const [args, message, hint] of cases) {
      const r = await runHere(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toContain(message);
      expect(r.err, args.join(' ')).toContain(hint);
    }
    const helpUnknown = await runHere(['help', 'frobnicate']);
    expect(helpUnknown.code).toBe(2);
    expect(helpUnknown.err).toContain("error: unknown command 'frobnicate'");
    // No command at all: the help, on stderr, and exit 2.
    const none = await runHere([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('Usage: flexpaxos');
  });

  it('prints a bash completion script generated from the command tree, which completes', async () => {
    const r = await run(['completion', 'bash']);
    expect(r.code).toBe(0);
    for (const c of ['put', 'members', 'endpoint', 'completion', '--write-out', '--timeout-ms'])
      expect(r.out).toContain(c);
    const script = join(tmp, 'flexpaxos.bash');
    writeFileSync(script, r.out);
    const complete = (words: readonly string[]): string => {
      const probe = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _flexpaxos_complete; echo "\${COMPREPLY[*]}"`;
      const p = spawnSync('bash', ['-c', probe], { encoding: 'utf8' });
      expect(p.stderr).toBe('');
      return p.stdout.trim();
    };
    expect(complete(['flexpaxos', 'me'])).toBe('members');
    expect(complete(['flexpaxos', '--dir', 'x', 'members', ''])).toBe('add remove');
    expect(complete(['flexpaxos', 'endpoint', ''])).toBe('status health');
    expect(complete(['flexpaxos', 'status', '-w', ''])).toBe('table json simple');
    expect(complete(['flexpaxos', 'get', 'k', '--read', 'q'])).toBe('quorum');
    expect(complete(['flexpaxos', 'start', '--', '--tick'])).toBe('--tick-ms');
  });

  it('prints a zsh completion script', async () => {
    const r = await runHere(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('#compdef flexpaxos\n')).toBe(true);
    expect(r.out).toContain("'endpoint:every node");
    const zsh = ['/usr/bin/zsh', '/bin/zsh'].find((p) => existsSync(p));
    if (zsh === undefined) {
      console.log('zsh is not installed: the zsh script is not syntax-checked');
      return;
    }
    const script = join(tmp, '_flexpaxos');
    writeFileSync(script, r.out);
    const p = spawnSync(zsh, ['-n', script], { encoding: 'utf8' });
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
  });

  it('config check accepts the example file and prints every resolved setting', async () => {
    const r = await run(['config', 'check', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(`ok: ${EXAMPLE} is a valid node configuration`);
    for (const f of CONFIG_FIELDS) expect(r.out).toMatch(new RegExp(`^${f} `, 'm'));
    const json = await runHere(['config', 'check', EXAMPLE, '-w', 'json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as {
      ok: boolean;
      settings: Record<string, unknown>;
      sources: Record<string, string>;
    };
    expect(parsed.ok).toBe(true);
    expect(parsed.settings).toMatchObject({ id: 1, cluster: 'demo', members: [1, 2, 3] });
    expect(parsed.sources['tick-ms']).toBe('file');
    expect(parsed.sources['test-clock-rate']).toBe('default');
    // The environment counts, as for `flexpaxos node --config FILE`.
    const env = await runHere(['config', 'check', EXAMPLE, '--json'], { FLEXPAXOS_TICK_MS: '20' });
    const withEnv = JSON.parse(env.out) as typeof parsed;
    expect(withEnv.settings['tick-ms']).toBe(20);
    expect(withEnv.sources['tick-ms']).toBe('env FLEXPAXOS_TICK_MS');
  });

  it('config check prints every problem of a bad file and exits 2', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        id: 0,
        cluster: 'a.b',
        members: [1, 2, 3],
        nats: 'x',
        'tick-ms': 'x',
        colour: 1,
      }),
    );
    const r = await run(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    for (const line of [
      'config: config.colour: is not a known setting',
      'config: id: must be an integer >= 1 (got 0)',
      'config: cluster: must be 1..64 characters of [A-Za-z0-9_-]',
      'config: nats: "x" is not a NATS URL',
      'config: data-dir: is required',
      'config: tick-ms: must be an integer >= 1 (got "x")',
    ])
      expect(r.err).toContain(line);
    expect(r.err).toContain(`flexpaxos config check: ${bad}: invalid configuration (6 problems)`);
    const missing = await runHere(['config', 'check', join(tmp, 'none.json')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('config: config: cannot read');
  });
});

describe('apps/server/flexpaxos.example.json', () => {
  const file = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;

  it('is what `flexpaxos node --config` accepts', () => {
    const gathered = gatherConfig({ config: EXAMPLE }, {});
    expect(gathered.problems).toEqual([]);
    const { config, problems } = validateConfig(gathered.raw);
    expect(problems).toEqual([]);
    expect(config).toBeDefined();
  });

  it('lists every setting except the test-only ones, each at its default', () => {
    expect(Object.keys(file).sort()).toEqual(
      CONFIG_FIELDS.filter((f) => !isTestOnlySetting(f)).sort(),
    );
    const camel = (f: string): string => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    for (const [key, value] of Object.entries(CONFIG_DEFAULTS)) {
      const flag = CONFIG_FIELDS.find((f) => camel(f) === key) ?? key;
      if (isTestOnlySetting(flag)) continue;
      expect(file[flag], flag).toEqual(value);
    }
    // The settings without an entry in CONFIG_DEFAULTS: their defaults as the node takes them.
    expect(file['join']).toBe(false);
    expect(file['link-delay-to']).toEqual({});
    const members = file['members'] as number[];
    expect(file['replication']).toBe(Math.floor(members.length / 2) + 1);
    expect(file['election']).toBe(members.length - (file['replication'] as number) + 1);
  });
});
