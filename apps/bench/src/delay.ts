/**
 * Emulated link delays: the `--delay` syntax of the benchmark, turned into a one-way delay per
 * directed link and then into the `flexpaxos node` flags `--link-delay-ms` / `--link-delay-to`
 * (applied by `@flexpaxos/transport-nats` to peer messages a node sends; client <-> node
 * traffic is not delayed).
 *
 * Syntax (one variant; `--delay` may be repeated to sweep several):
 *
 * - `none` or `0`: no delay (the default).
 * - `MS`: every peer link `MS` one way, e.g. `--delay 2`.
 * - `node:ID=MS,ID=MS,...`: each node sits behind an access link of its own delay; the link
 *   i -> j takes `d(i) + d(j)` one way; unlisted nodes have 0. E.g. `node:3=20` puts node 3
 *   20 ms from everyone else.
 * - `zones:NAME=ID,ID;NAME=ID;...` with `--zone-delay A-B=MS,A-C=MS,...` (or one number for
 *   every pair of different zones): the link i -> j takes the delay between their zones;
 *   within a zone 0 unless `A-A=MS` is given. Every node of a point must be in a zone.
 * - `zones:K` (K >= 2): nodes spread round-robin over zones `z1`..`zK` (node i in
 *   `z((i - 1) mod K + 1)`), with `--zone-delay` as above.
 *
 * Delays are whole milliseconds (the server's flags take integers).
 */

/** One parsed `--delay` variant. */
export type DelaySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'uniform'; readonly ms: number }
  | { readonly kind: 'node'; readonly accessMs: ReadonlyMap<number, number> }
  | { readonly kind: 'zones'; readonly zones: ReadonlyMap<string, readonly number[]> }
  | { readonly kind: 'zones-round-robin'; readonly count: number };

/** A delay variant with the label it was given as (shown in tables and JSON). */
export interface DelayVariant {
  readonly label: string;
  readonly spec: DelaySpec;
}

/** Parsed `--zone-delay`: one delay for every pair of different zones, or per pair. */
export type ZoneDelay =
  | { readonly kind: 'all'; readonly ms: number }
  | { readonly kind: 'pairs'; readonly pairs: ReadonlyMap<string, number> };

/** The no-delay variant. */
export const NO_DELAY: DelayVariant = { label: 'none', spec: { kind: 'none' } };

/** Outcome of a parser: a value, or every problem found (each naming the option and rule). */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: string[] };

function ms(text: string): number | undefined {
  if (!/^\d+$/.test(text.trim())) return undefined;
  const v = Number(text.trim());
  return Number.isSafeInteger(v) ? v : undefined;
}

function nodeId(text: string): number | undefined {
  const v = ms(text);
  return v !== undefined && v >= 1 ? v : undefined;
}

/** Parses one `--delay` value (see the module comment for the syntax). */
export function parseDelay(text: string): Parsed<DelayVariant> {
  const t = text.trim();
  const bad = (rule: string): Parsed<DelayVariant> => ({
    ok: false,
    problems: [`--delay ${JSON.stringify(text)}: ${rule}`],
  });
  if (t === '') return bad('must not be empty (use none, MS, node:ID=MS,... or zones:...)');
  if (t === 'none' || t === '0') return { ok: true, value: NO_DELAY };
  const uniform = ms(t);
  if (uniform !== undefined)
    return { ok: true, value: { label: `${uniform}`, spec: { kind: 'uniform', ms: uniform } } };
  if (t.startsWith('node:')) {
    const accessMs = new Map<number, number>();
    for (const part of t.slice(5).split(',')) {
      const [id, d, ...rest] = part.split('=');
      const i = id === undefined ? undefined : nodeId(id);
      const v = d === undefined ? undefined : ms(d);
      if (i === undefined || v === undefined || rest.length > 0) {
        return bad(`"${part}" must be ID=MS (node id >= 1, whole milliseconds >= 0)`);
      }
      if (accessMs.has(i)) return bad(`node ${i} is given twice`);
      accessMs.set(i, v);
    }
    return { ok: true, value: { label: t, spec: { kind: 'node', accessMs } } };
  }
  if (t.startsWith('zones:')) {
    const body = t.slice(6);
    const count = ms(body);
    if (count !== undefined) {
      if (count < 2) return bad('zones:K needs K >= 2');
      return { ok: true, value: { label: t, spec: { kind: 'zones-round-robin', count } } };
    }
    const zones = new Map<string, number[]>();
    const seen = new Set<number>();
    for (const part of body.split(';')) {
      const [name, ids, ...rest] = part.split('=');
      if (
        name === undefined ||
        !/^[A-Za-z][\w-]*$/.test(name) ||
        ids === undefined ||
        rest.length > 0
      ) {
        return bad(`"${part}" must be NAME=ID,ID (zone names start with a letter)`);
      }
      if (zones.has(name)) return bad(`zone ${name} is given twice`);
      const list: number[] = [];
      for (const s of ids.split(',')) {
        const i = nodeId(s);
        if (i === undefined) return bad(`zone ${name}: "${s}" is not a node id (>= 1)`);
        if (seen.has(i)) return bad(`node ${i} is in two zones`);
        seen.add(i);
        list.push(i);
      }
      zones.set(name, list);
    }
    return { ok: true, value: { label: t, spec: { kind: 'zones', zones } } };
  }
  return bad('must be none, MS, node:ID=MS,... or zones:NAME=ID,...;NAME=... or zones:K');
}

/** Parses `--zone-delay`: `MS` (every pair of different zones) or `A-B=MS,...`. */
export function parseZoneDelay(text: string): Parsed<ZoneDelay> {
  const all = ms(text);
  if (all !== undefined) return { ok: true, value: { kind: 'all', ms: all } };
  const pairs = new Map<string, number>();
  for (const part of text.split(',')) {
    const m = /^([A-Za-z][\w]*)-([A-Za-z][\w]*)=(\d+)$/.exec(part.trim());
    const v = m?.[3] === undefined ? undefined : ms(m[3]);
    if (m === null || v === undefined) {
      return {
        ok: false,
        problems: [
          `--zone-delay "${part}": must be A-B=MS (zone names, whole milliseconds) or one number`,
        ],
      };
    }
    const key = pairKey(m[1] ?? '', m[2] ?? '');
    if (pairs.has(key))
      return { ok: false, problems: [`--zone-delay: pair ${m[1]}-${m[2]} is given twice`] };
    pairs.set(key, v);
  }
  return { ok: true, value: { kind: 'pairs', pairs } };
}

function pairKey(a: string, b: string): string {
  return a <= b ? `${a}-${b}` : `${b}-${a}`;
}

/** One-way delay of every directed link: `matrix[i - 1][j - 1]` for nodes 1..N (0 on the diagonal). */
export type LinkDelayMatrix = readonly (readonly number[])[];

/**
 * The one-way delay of every link of a cluster of nodes 1..`nodes` under `variant`, or the
 * problems that make the variant unusable for this N (a node in no zone, a zone pair with no
 * delay, a node listed that the cluster does not have).
 */
export function linkDelays(
  variant: DelayVariant,
  nodes: number,
  zoneDelay: ZoneDelay | undefined,
): Parsed<LinkDelayMatrix> {
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  const build = (f: (i: number, j: number) => number): LinkDelayMatrix =>
    ids.map((i) => ids.map((j) => (i === j ? 0 : f(i, j))));
  const spec = variant.spec;
  switch (spec.kind) {
    case 'none':
      return { ok: true, value: build(() => 0) };
    case 'uniform':
      return { ok: true, value: build(() => spec.ms) };
    case 'node': {
      if ([...spec.accessMs.keys()].every((id) => id > nodes)) {
        return {
          ok: false,
          problems: [
            `--delay ${variant.label}: names no node of N=${nodes} (nodes are 1..${nodes})`,
          ],
        };
      }
      const d = (id: number): number => spec.accessMs.get(id) ?? 0;
      return { ok: true, value: build((i, j) => d(i) + d(j)) };
    }
    case 'zones':
    case 'zones-round-robin': {
      const zoneOf = new Map<number, string>();
      if (spec.kind === 'zones') {
        for (const [name, members] of spec.zones) for (const id of members) zoneOf.set(id, name);
      } else {
        for (const id of ids) zoneOf.set(id, `z${((id - 1) % spec.count) + 1}`);
      }
      const problems: string[] = [];
      const missing = ids.filter((id) => !zoneOf.has(id));
      if (missing.length > 0) {
        problems.push(
          `--delay ${variant.label}: node${missing.length > 1 ? 's' : ''} ${missing.join(',')} of N=${nodes} in no zone (every node of a point must be in a zone)`,
        );
      }
      if (zoneDelay === undefined) {
        problems.push(
          `--delay ${variant.label}: zones need --zone-delay (MS, or A-B=MS,... for each pair of zones)`,
        );
      }
      if (problems.length > 0 || zoneDelay === undefined) return { ok: false, problems };
      const between = (a: string, b: string): number | undefined => {
        if (zoneDelay.kind === 'all') return a === b ? 0 : zoneDelay.ms;
        return zoneDelay.pairs.get(pairKey(a, b)) ?? (a === b ? 0 : undefined);
      };
      const used = [...new Set(ids.map((id) => zoneOf.get(id) ?? ''))].sort();
      for (const a of used) {
        for (const b of used) {
          if (a < b && between(a, b) === undefined) {
            problems.push(
              `--zone-delay: no delay for zones ${a}-${b} (needed by --delay ${variant.label} at N=${nodes})`,
            );
          }
        }
      }
      if (problems.length > 0) return { ok: false, problems };
      return {
        ok: true,
        value: build((i, j) => between(zoneOf.get(i) ?? '', zoneOf.get(j) ?? '') ?? 0),
      };
    }
  }
}

/**
 * The `flexpaxos node` flags that make node `id` delay what it sends as `matrix` says: one
 * `--link-delay-ms` when every outgoing link is equal, else `--link-delay-to` per peer.
 * Nothing at all when every outgoing link is 0 (the server's default: no timer on the hot path).
 */
export function nodeDelayFlags(matrix: LinkDelayMatrix, id: number): string[] {
  const row = matrix[id - 1];
  if (row === undefined) throw new Error(`node ${id} is not in the delay matrix`);
  const peers = row.map((d, j) => ({ peer: j + 1, d })).filter((x) => x.peer !== id);
  if (peers.every((x) => x.d === 0)) return [];
  const first = peers[0]?.d ?? 0;
  if (peers.every((x) => x.d === first)) return ['--link-delay-ms', String(first)];
  return ['--link-delay-to', peers.map((x) => `${x.peer}:${x.d}`).join(',')];
}
