import { currentPowerLevels, userLevel } from '../auth/power-levels.js';
import type { RoomVersion } from '../room-versions.js';
import { stateKeyId } from '../state-map.js';
import { authEventsByKey, authPowerLevels, type EventCache } from './event-cache.js';
import { MinHeap } from './heap.js';
import type { StateResEvent } from './types.js';

/** The (power level, timestamp, id) an event is ordered by in the power ordering. */
interface PowerKey {
  id: string;
  level: number;
  ts: number;
}

/**
 * The power level of an event's sender "when looking at their respective auth_events"
 * (spec rooms/v2 "Reverse topological power ordering"): the power levels event among its
 * auth events read with the room version's rules, so, with none, 100 for the creator
 * (v1-v11) and 0 for others; v12 creators are infinitely powerful. Rejected auth events
 * count here, as in Synapse: this is ordering, not authorisation.
 */
export function senderPowerLevel(event: StateResEvent, cache: EventCache, v: RoomVersion): number {
  const byKey = authEventsByKey(event, cache, v, true);
  const pl = currentPowerLevels((type, stateKey) => byKey.get(stateKeyId(type, stateKey)), v);
  return userLevel(pl, event.sender);
}

/** Code-point order of ids (as the spec's comparison of strings; ids are ASCII in practice). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The reverse topological power ordering of the events of `graph` (event -> its auth events
 * within the graph): Kahn's algorithm, taking at each step the ready event whose sender has
 * the greatest power level, then the smallest origin_server_ts, then the smallest event id
 * (spec rooms/v2). Earliest first. `level` gives an event's sender power level.
 */
export function reverseTopologicalPowerSort(
  graph: ReadonlyMap<string, ReadonlySet<string>>,
  cache: EventCache,
  level: (event: StateResEvent) => number,
): string[] {
  const keys = new Map<string, PowerKey>();
  for (const id of graph.keys()) {
    const e = cache.get(id)!;
    keys.set(id, { id, level: level(e), ts: e.origin_server_ts });
  }
  const less = (a: PowerKey, b: PowerKey): boolean =>
    a.level !== b.level ? a.level > b.level : a.ts !== b.ts ? a.ts < b.ts : a.id < b.id;
  return kahnSort(graph, (id) => keys.get(id)!, less).map((k) => k.id);
}

/** Kahn's algorithm over `graph` (node -> the nodes that must come before it), smallest ready first. */
export function kahnSort<K>(
  graph: ReadonlyMap<string, ReadonlySet<string>>,
  key: (id: string) => K,
  less: (a: K, b: K) => boolean,
): K[] {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const heap = new MinHeap<{ id: string; key: K }>((a, b) => less(a.key, b.key));
  for (const [id, before] of graph) {
    let n = 0;
    for (const b of before) {
      if (!graph.has(b) || b === id) continue;
      n++;
      const list = dependents.get(b);
      if (list) list.push(id);
      else dependents.set(b, [id]);
    }
    waiting.set(id, n);
    if (n === 0) heap.push({ id, key: key(id) });
  }
  const out: K[] = [];
  const emitted = new Set<string>();
  for (let next = heap.pop(); next; next = heap.pop()) {
    out.push(next.key);
    emitted.add(next.id);
    for (const d of dependents.get(next.id) ?? []) {
      const n = waiting.get(d)! - 1;
      waiting.set(d, n);
      if (n === 0) heap.push({ id: d, key: key(d) });
    }
  }
  // A cycle (impossible between honest events: an event's auth events precede it) leaves
  // events out; they follow in plain key order rather than vanish.
  if (out.length < graph.size) {
    const rest = [...graph.keys()].filter((id) => !emitted.has(id)).map((id) => key(id));
    rest.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
    out.push(...rest);
  }
  return out;
}

/**
 * The mainline ordering of `ids` based on the power levels event `powerLevelsId` (spec
 * rooms/v2 "Mainline ordering"): events whose chain of power levels events meets the
 * mainline earlier (further from `powerLevelsId`) first, never meeting it first of all,
 * then by origin_server_ts, then by event id. Loads the power levels events it walks.
 */
export async function mainlineSort(
  ids: readonly string[],
  powerLevelsId: string | undefined,
  cache: EventCache,
): Promise<string[]> {
  if (!ids.length) return [];
  await cache.load(ids);
  // Mainline: P0 (newest) ... Pn. Depth counts from the oldest: Pn = 1 ... P0 = n + 1, so
  // sorting ascending by depth puts "greater mainline position" first; 0 = not met.
  const mainline: string[] = [];
  for (let id = powerLevelsId; id !== undefined;) {
    mainline.push(id);
    const e = await loaded(cache, id);
    if (!e) break;
    await cache.load(cache.authIds(e));
    const next = authPowerLevels(e, cache)?.event_id;
    id = next === undefined || mainline.includes(next) ? undefined : next;
  }
  const depthOf = new Map<string, number>();
  mainline.forEach((id, i) => depthOf.set(id, mainline.length - i));

  const order = new Map<string, { depth: number; ts: number; id: string }>();
  for (const id of ids) {
    const e = cache.get(id);
    if (!e) continue;
    order.set(id, { depth: await mainlineDepth(e, depthOf, cache), ts: e.origin_server_ts, id });
  }
  return [...order.values()]
    .sort((a, b) => a.depth - b.depth || a.ts - b.ts || compareIds(a.id, b.id))
    .map((o) => o.id);
}

/**
 * The mainline depth of `event`: that of the first power levels event met walking its
 * power levels auth events (e1, e2, ... not e0 itself), or 0. Depths found on the way are
 * remembered in `depthOf`, since the events of a room share their power levels history.
 */
async function mainlineDepth(
  event: StateResEvent,
  depthOf: Map<string, number>,
  cache: EventCache,
): Promise<number> {
  const walked: string[] = [];
  let depth = 0;
  for (let e: StateResEvent | undefined = event; e;) {
    await cache.load(cache.authIds(e));
    const pl = authPowerLevels(e, cache);
    if (!pl) break;
    const known = depthOf.get(pl.event_id);
    if (known !== undefined) {
      depth = known;
      break;
    }
    if (walked.includes(pl.event_id)) break;
    walked.push(pl.event_id);
    e = pl;
  }
  for (const id of walked) depthOf.set(id, depth);
  return depth;
}

async function loaded(cache: EventCache, id: string): Promise<StateResEvent | undefined> {
  await cache.load([id]);
  return cache.get(id);
}
