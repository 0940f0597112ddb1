/**
 * `flexpaxos completion bash|zsh`: a shell completion script generated from the command tree
 * (commander has none built in), so it always offers the commands and options the program has.
 *
 * Both scripts find the command path from the words typed so far (skipping option values),
 * then offer the values of the option before the cursor (its choices, or files), the options of
 * the command (after `-`), or its subcommands and argument choices. After `start ... --` they
 * offer the `node` settings (those flags go to every node).
 */
import type { Command } from 'commander';
import { Argument } from 'commander';
import { action, examples } from './cli-context.js';
import type { CliIo } from './cli-context.js';

/** The shells a script can be printed for. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;

/** Options and arguments whose value is a path. */
const FILE_VALUES = new Set(['--dir', '--config', '--data-dir', '--nats-server', '<file>']);

interface OptionSpec {
  readonly flags: readonly string[];
  readonly description: string;
  /** null: takes no value; else `files`, `choices WORDS...` or `any`. */
  readonly value: string | null;
}

interface CommandSpec {
  /** `''` for the program, `members add` for a subcommand. */
  readonly path: string;
  readonly subcommands: readonly { readonly name: string; readonly summary: string }[];
  readonly options: readonly OptionSpec[];
  /** What the first argument completes to: `files`, `choices ...` or null. */
  readonly argument: string | null;
}

function argumentValue(a: Argument | undefined): string | null {
  if (a === undefined) return null;
  if (a.argChoices !== undefined) return `choices ${a.argChoices.join(' ')}`;
  if (FILE_VALUES.has(`<${a.name()}>`)) return 'files';
  return null;
}

/** Every command of the tree, the program first; `help` included. */
export function commandSpecs(root: Command): CommandSpec[] {
  const out: CommandSpec[] = [];
  const visit = (cmd: Command, path: string): void => {
    const subs = cmd.commands.map((c) => ({
      name: c.name(),
      summary: c.summary() || c.description(),
    }));
    if (cmd === root) subs.push({ name: 'help', summary: 'show the help of a command' });
    const options: OptionSpec[] = cmd.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        flags: [o.long, o.short].filter((f): f is string => f !== undefined),
        description: o.description,
        value:
          !o.required && !o.optional
            ? null
            : o.argChoices !== undefined
              ? `choices ${o.argChoices.join(' ')}`
              : FILE_VALUES.has(o.long ?? '')
                ? 'files'
                : 'any',
      }));
    options.push({ flags: ['--help', '-h'], description: 'show this help', value: null });
    out.push({
      path,
      subcommands: subs,
      options,
      argument: argumentValue(cmd.registeredArguments[0]),
    });
    for (const c of cmd.commands) visit(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  visit(root, '');
  out.push({
    path: 'help',
    subcommands: [],
    options: [],
    argument: `choices ${root.commands.map((c) => c.name()).join(' ')}`,
  });
  return out;
}

/** `'text'` for sh, with `'` escaped. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** A `case` pattern `"path|word"`. */
const pat = (path: string, word: string): string => `"${path}|${word}"`;

/** The shared helpers: subcommand test and option values (valid in bash and zsh). */
function helpers(specs: readonly CommandSpec[]): string {
  const subPatterns = specs.flatMap((s) => s.subcommands.map((c) => pat(s.path, c.name)));
  const byValue = new Map<string, string[]>();
  for (const s of specs) {
    for (const o of s.options) {
      if (o.value === null) continue;
      for (const f of o.flags)
        byValue.set(o.value, [...(byValue.get(o.value) ?? []), pat(s.path, f)]);
    }
  }
  const argCases = specs
    .filter((s) => s.argument !== null)
    .map((s) => `    "${s.path}") echo ${q(s.argument ?? '')} ;;`);
  return [
    '# _flexpaxos_is_sub PATH WORD: whether WORD is a subcommand of the command PATH',
    '_flexpaxos_is_sub() {',
    '  case "$1|$2" in',
    `    ${subPatterns.join('|')}) return 0 ;;`,
    '  esac',
    '  return 1',
    '}',
    '# _flexpaxos_value PATH FLAG: prints what the value of FLAG completes to (files, choices',
    '# WORDS..., any); fails when FLAG takes no value',
    '_flexpaxos_value() {',
    '  case "$1|$2" in',
    ...[...byValue].map(([v, ps]) => `    ${ps.join('|')}) echo ${q(v)} ;;`),
    '    *) return 1 ;;',
    '  esac',
    '}',
    '# _flexpaxos_arg PATH: what the arguments of the command PATH complete to',
    '_flexpaxos_arg() {',
    '  case "$1" in',
    ...argCases,
    '    *) return 1 ;;',
    '  esac',
    '}',
    '# _flexpaxos_path WORD...: the command path of the words typed before the cursor',
    '_flexpaxos_path() {',
    '  local p="" w skip=0',
    '  for w in "$@"; do',
    '    if [ "$skip" = 1 ]; then skip=0; continue; fi',
    '    if [ "$w" = "--" ]; then',
    '      [ "$p" = "start" ] && p="node"',
    '      continue',
    '    fi',
    '    case "$w" in',
    '      -*=*) continue ;;',
    '      -*) _flexpaxos_value "$p" "$w" >/dev/null && skip=1; continue ;;',
    '    esac',
    '    if _flexpaxos_is_sub "$p" "$w"; then',
    '      if [ -z "$p" ]; then p="$w"; else p="$p $w"; fi',
    '    fi',
    '  done',
    '  echo "$p"',
    '}',
  ].join('\n');
}

/** The bash completion script. */
export function bashCompletion(root: Command): string {
  const specs = commandSpecs(root);
  const optionCases = specs.map(
    (s) => `    "${s.path}") words=${q(s.options.flatMap((o) => o.flags).join(' '))} ;;`,
  );
  const subCases = specs.map(
    (s) => `    "${s.path}") words=${q(s.subcommands.map((c) => c.name).join(' '))} ;;`,
  );
  return `# bash completion for flexpaxos (generated by \`flexpaxos completion bash\`). Load it with
#   source <(flexpaxos completion bash)
# or save it as ~/.local/share/bash-completion/completions/flexpaxos.
${helpers(specs)}
_flexpaxos_complete() {
  local cur prev cmdpath kind words=""
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if [ "$COMP_CWORD" -gt 1 ]; then prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  cmdpath="$(_flexpaxos_path "\${COMP_WORDS[@]:1:COMP_CWORD-1}")"
  if [ -n "$prev" ] && kind="$(_flexpaxos_value "$cmdpath" "$prev")"; then
    case "$kind" in
      files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
      choices*) COMPREPLY=($(compgen -W "\${kind#choices }" -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    case "$cmdpath" in
${optionCases.join('\n')}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return 0
  fi
  case "$cmdpath" in
${subCases.join('\n')}
  esac
  if kind="$(_flexpaxos_arg "$cmdpath")"; then
    case "$kind" in
      files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
      choices*) words="$words \${kind#choices }" ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  return 0
}
complete -F _flexpaxos_complete flexpaxos
`;
}

/** The zsh completion script. */
export function zshCompletion(root: Command): string {
  const specs = commandSpecs(root);
  const item = (name: string, desc: string): string =>
    q(`${name.replace(/:/g, '\\:')}:${desc.replace(/\s+/g, ' ')}`);
  const optionCases = specs.map(
    (s) =>
      `    "${s.path}") items=(${s.options.flatMap((o) => o.flags.map((f) => item(f, o.description))).join(' ')}) ;;`,
  );
  const subCases = specs.map(
    (s) =>
      `    "${s.path}") items=(${s.subcommands.map((c) => item(c.name, c.summary)).join(' ')}) ;;`,
  );
  return `#compdef flexpaxos
# zsh completion for flexpaxos (generated by \`flexpaxos completion zsh\`). Load it with
#   source <(flexpaxos completion zsh)
# or save it as _flexpaxos in a directory of $fpath.
${helpers(specs)}
_flexpaxos() {
  local cur prev cmdpath kind
  local -a items
  cur="\${words[CURRENT]}"
  prev=""
  if (( CURRENT > 2 )); then prev="\${words[CURRENT-1]}"; fi
  cmdpath="$(_flexpaxos_path "\${(@)words[2,CURRENT-1]}")"
  if [[ -n "$prev" ]] && kind="$(_flexpaxos_value "$cmdpath" "$prev")"; then
    case "$kind" in
      files) _files ;;
      choices*) compadd -- \${=kind#choices } ;;
      *) _message 'value' ;;
    esac
    return
  fi
  if [[ "$cur" == -* ]]; then
    case "$cmdpath" in
${optionCases.join('\n')}
    esac
    _describe -t options 'option' items
    return
  fi
  case "$cmdpath" in
${subCases.join('\n')}
  esac
  if kind="$(_flexpaxos_arg "$cmdpath")"; then
    case "$kind" in
      files) _files; return ;;
      choices*) compadd -- \${=kind#choices } ;;
    esac
  fi
  (( \${#items} )) && _describe -t commands 'command' items
}
if [[ "\${funcstack[1]}" = "_flexpaxos" ]]; then
  _flexpaxos "$@"
else
  compdef _flexpaxos flexpaxos
fi
`;
}

/** Adds `flexpaxos completion bash|zsh` to `program`. */
export function addCompletionCommand(program: Command, io: CliIo, group: string): void {
  const completion = program
    .command('completion')
    .helpGroup(group)
    .summary('print a bash or zsh completion script')
    .description(
      'Print a shell completion script for flexpaxos, generated from its commands and options.',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS));
  examples(completion, [
    'source <(flexpaxos completion bash)          # this shell',
    'flexpaxos completion bash > ~/.local/share/bash-completion/completions/flexpaxos',
    'flexpaxos completion zsh > "${fpath[1]}/_flexpaxos"',
  ]);
  action(completion, ([shell]) => {
    io.out(shell === 'zsh' ? zshCompletion(program) : bashCompletion(program));
    return 0;
  });
}
