import type { StateMap } from '../state-map.js';
import type { EventCache } from './event-cache.js';
import type { StateResFetch } from './types.js';

/**
 * The auth difference (spec rooms/v2): the events in some but not all of the full auth
 * chains C_i of the state sets S_i, i.e. ∪C_i − ∩C_i. As Synapse computes it (its chain
 * cover counts an event as reaching itself), C_i holds S_i's events too, so an event every
 * set holds is never in the difference: read literally, an unconflicted event that only
 * some sets' events cite would be, and would be re-checked with the conflicted ones (which
 * matters in v2.1, where the first checks start from nothing). Conflicted events may be in
 * the answer either way; they are in the full conflicted set anyway.
 *
 * Computed without the full chains of big states: an unconflicted event is in every set,
 * so its chain is in every C_i and nothing of it can differ. With U the chain of the
 * unconflicted events and D_i that of S_i's conflicted events, C_i = U ∪ D_i, and the
 * difference is (∪D_i − ∩D_i) − U: the chains of the (few) conflicted events, then one
 * read of U, only when the D_i differ at all.
 */
export async function authDifference(
  stateSets: readonly StateMap[],
  conflictedKeys: Iterable<string>,
  unconflicted: ReadonlyMap<string, string>,
  fetch: StateResFetch,
): Promise<Set<string>> {
  const keys = [...conflictedKeys];
  const chains: Set<string>[] = [];
  for (const s of stateSets) {
    const ids: string[] = [];
    for (const k of keys) {
      const id = s.get(k);
      if (id !== undefined) ids.push(id);
    }
    chains.push(await fetch.authChain(ids));
  }
  const diff = new Set<string>();
  for (const chain of chains) {
    for (const id of chain) {
      if (!diff.has(id) && chains.some((c) => !c.has(id))) diff.add(id);
    }
  }
  if (!diff.size) return diff;
  const common = await fetch.authChain([...new Set(unconflicted.values())]);
  for (const id of common) diff.delete(id);
  for (const id of unconflicted.values()) diff.delete(id);
  return diff;
}

/**
 * The conflicted state subgraph (spec rooms/v12, state resolution v2.1): the events on
 * auth_events paths from one conflicted event to another, endpoints included. An event of
 * the conflicted events' auth chains is on such a path when a conflicted event is
 * reachable from it; found in one pass over those chains, oldest first.
 */
export async function conflictedSubgraph(
  conflicted: ReadonlySet<string>,
  fetch: StateResFetch,
  cache: EventCache,
): Promise<Set<string>> {
  const chain = await fetch.authChain([...conflicted]);
  const nodes = new Set([...chain, ...conflicted]);
  await cache.load(nodes);
  const reaches = new Map<string, boolean>();
  // Iterative depth-first search (chains can be thousands of events deep).
  for (const start of nodes) {
    if (reaches.has(start)) continue;
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    const onStack = new Set([start]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const e = cache.get(top.id);
      const auth = e ? cache.authIds(e) : [];
      if (top.next < auth.length) {
        const a = auth[top.next++]!;
        if (nodes.has(a) && !reaches.has(a) && !onStack.has(a)) {
          stack.push({ id: a, next: 0 });
          onStack.add(a);
        }
        continue;
      }
      stack.pop();
      onStack.delete(top.id);
      reaches.set(top.id, conflicted.has(top.id) || auth.some((a) => reaches.get(a) === true));
    }
  }
  const out = new Set<string>();
  for (const [id, r] of reaches) if (r) out.add(id);
  return out;
}

/**
 * The graph step 1 of the algorithm sorts: the power events and the events of their auth
 * chains that are in the full conflicted set, each with its auth events among them. As
 * Synapse and ruma, the walk follows auth_events edges that stay inside the full
 * conflicted set (an event of the set reachable only through an event outside it would
 * have to be in every auth chain and conflicted, a case honest forks do not produce).
 */
export function powerEventGraph(
  powerEvents: readonly string[],
  fullConflicted: ReadonlySet<string>,
  cache: EventCache,
): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const todo = [...powerEvents];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (graph.has(id)) continue;
    const edges = new Set<string>();
    graph.set(id, edges);
    const e = cache.get(id);
    for (const a of e ? cache.authIds(e) : []) {
      if (!fullConflicted.has(a)) continue;
      edges.add(a);
      if (!graph.has(a)) todo.push(a);
    }
  }
  return graph;
}
