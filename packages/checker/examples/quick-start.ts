// Recording a small client history and checking it for linearizability against the FlexPaxos
// KV model. Run from the repository root:
//   pnpm exec tsx --conditions=source packages/checker/examples/quick-start.ts
import { HistoryRecorder, checkLinearizability, flexKvModel } from '@flexpaxos/checker';
import type { FlexKvInput, FlexKvOutput } from '@flexpaxos/checker';

const h = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
const w = h.invoke('client-1', { type: 'put', key: 'k', value: 'v1' });
const r = h.invoke('client-2', { type: 'get', key: 'k' }); // concurrent with the put
h.complete(w, { type: 'put', version: 1, revision: 7 });
h.complete(r, { type: 'get', kv: undefined }); // may be ordered before the put: fine
const t = h.invoke('client-3', { type: 'put', key: 'k', value: 'v2' });
h.abandon(t); // timed out: may take effect later, or never
const s = h.invoke('client-2', { type: 'get', key: 'k' });
h.complete(s, { type: 'get', kv: { key: 'k', value: 'v1', version: 1, revision: 7 } });

console.log(checkLinearizability(flexKvModel, h.operations()).verdict); // linearizable

// Stale read: the put completed before this get started, yet the get misses it.
const late = h.invoke('client-4', { type: 'get', key: 'k' });
h.complete(late, { type: 'get', kv: undefined });
const result = checkLinearizability(flexKvModel, h.operations());
console.log(result.verdict, result.counterexample?.operations.length); // not-linearizable 5

// A time budget needs an injected monotonic clock; running out answers 'unknown', never a guess.
const budget = { timeBudgetMs: 1000, now: () => performance.now() };
console.log(checkLinearizability(flexKvModel, h.operations(), budget).verdict); // not-linearizable
