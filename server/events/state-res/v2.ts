import { authEventsNeeded } from '../auth/check.js';
import type { RoomVersion } from '../room-versions.js';
import { stateKeyId, type StateMap } from '../state-map.js';
import { authDifference, conflictedSubgraph, powerEventGraph } from './auth-difference.js';
import { createEventIdOf, eventCache, POWER_LEVELS } from './event-cache.js';
import { iterativeAuthChecks } from './iterative-auth.js';
import { mainlineSort, reverseTopologicalPowerSort, senderPowerLevel } from './ordering.js';
import { separateStates } from './separate.js';
import type { StateResEvent, StateResFetch } from './types.js';

/**
 * State resolution v2 (spec rooms/v2 "State resolution", room versions 2-11) and v2.1
 * (rooms/v12: the first iterative auth checks start from an empty state, and the full
 * conflicted set takes in the conflicted state subgraph).
 */
export async function resolveV2(
  v: RoomVersion,
  stateSets: readonly StateMap[],
  fetch: StateResFetch,
): Promise<Map<string, string>> {
  const { unconflicted, conflicted } = separateStates(stateSets, true);
  if (!conflicted.size) return unconflicted;
  const cache = eventCache(fetch);

  const conflictedIds = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedIds.add(id);
  const full = new Set(conflictedIds);
  for (const id of await authDifference(stateSets, conflicted.keys(), unconflicted, fetch)) {
    full.add(id);
  }
  if (v.stateRes === 'v2.1') {
    for (const id of await conflictedSubgraph(conflictedIds, fetch, cache)) full.add(id);
  }
  await cache.load(full);
  // Events nobody can produce take no part (as Synapse): they cannot be checked.
  for (const id of full) if (!cache.get(id)) full.delete(id);

  // 1. The power events and their auth chains within the full conflicted set, in reverse
  //    topological power ordering. Senders' levels read their auth events' power levels.
  const power = [...full].filter((id) => isPowerEvent(cache.get(id)!));
  const graph = powerEventGraph(power, full, cache);
  const authOfGraph: string[] = [];
  for (const id of graph.keys()) {
    const e = cache.get(id)!;
    authOfGraph.push(...cache.authIds(e));
    const createId = createEventIdOf(e, v);
    if (createId) authOfGraph.push(createId);
  }
  await cache.load(authOfGraph);
  const sortedPower = reverseTopologicalPowerSort(graph, cache, (e) =>
    senderPowerLevel(e, cache, v),
  );

  // 2. Iterative auth checks from the unconflicted state (v2.1: from nothing). The checks
  //    read the state only at the keys the rules need for these events, and the mainline
  //    only the power levels: the rest of a big state need not be copied along (as Synapse).
  const start = new Map<string, string>();
  if (v.stateRes !== 'v2.1') {
    const keys = new Set([POWER_LEVELS]);
    for (const id of full) {
      for (const [type, stateKey] of authEventsNeeded(cache.get(id)!, v)) {
        keys.add(stateKeyId(type, stateKey));
      }
    }
    for (const k of keys) {
      const id = unconflicted.get(k);
      if (id !== undefined) start.set(k, id);
    }
  }
  const partial = await iterativeAuthChecks(v, sortedPower, start, cache);

  // 3, 4. The other events in mainline order of the resolved power levels, checked on.
  const inGraph = new Set(sortedPower);
  const rest = [...full].filter((id) => !inGraph.has(id));
  const sortedRest = await mainlineSort(rest, partial.get(POWER_LEVELS), cache);
  const resolved = await iterativeAuthChecks(v, sortedRest, partial, cache);

  // 5. The unconflicted state always wins.
  for (const [key, id] of resolved) if (!unconflicted.has(key)) unconflicted.set(key, id);
  return unconflicted;
}

/**
 * A power event (spec rooms/v2 "Power events"): power levels, join rules, or a membership
 * change to leave or ban made by someone else (a kick, a ban). The create event counts too,
 * as in Synapse and ruma, so it always sorts first when it is conflicted at all.
 */
export function isPowerEvent(e: StateResEvent): boolean {
  if (e.state_key === '') {
    if (e.type === 'm.room.power_levels' || e.type === 'm.room.join_rules') return true;
    if (e.type === 'm.room.create') return true;
  }
  if (e.type !== 'm.room.member' || e.state_key === undefined) return false;
  const m = e.content.membership;
  return (m === 'leave' || m === 'ban') && e.sender !== e.state_key;
}
