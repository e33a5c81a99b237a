import { authEventsNeeded, checkEventAuth } from '../auth/check.js';
import type { RoomVersion } from '../room-versions.js';
import { stateKeyId } from '../state-map.js';
import { authEventsByKey, createEventIdOf, type EventCache } from './event-cache.js';

/**
 * The iterative auth checks (spec rooms/v2 "Iterative auth checks"): from `base`, each event
 * of `ids` in order is checked against the authorization rules and, when allowed, put into
 * the state. The state an event is checked against: for each key the rules need
 * (authEventsNeeded), the event of the partially resolved state; for keys it does not have,
 * the event's own auth event of that key, unless that auth event was rejected. Events that
 * were rejected on receipt are never admitted (as Synapse: their rejection is kept).
 * Returns a new map; `base` is not changed.
 */
export async function iterativeAuthChecks(
  v: RoomVersion,
  ids: readonly string[],
  base: ReadonlyMap<string, string>,
  cache: EventCache,
): Promise<Map<string, string>> {
  const state = new Map(base);
  // Everything the checks will read, in one fetch: the events, their auth events, the
  // state they need from `base`, and (v12) the create event their room id names.
  const wanted = new Set<string>();
  await cache.load(ids);
  for (const id of ids) {
    const e = cache.get(id);
    if (!e) continue;
    for (const a of cache.authIds(e)) wanted.add(a);
    for (const [type, stateKey] of authEventsNeeded(e, v)) {
      const s = base.get(stateKeyId(type, stateKey));
      if (s !== undefined) wanted.add(s);
    }
    const createId = createEventIdOf(e, v);
    if (createId) wanted.add(createId);
  }
  await cache.load(wanted);

  for (const id of ids) {
    const event = cache.get(id);
    if (!event || event.rejected || event.state_key === undefined) continue;
    const byKey = authEventsByKey(event, cache, v);
    const fromState: string[] = [];
    for (const [type, stateKey] of authEventsNeeded(event, v)) {
      const key = stateKeyId(type, stateKey);
      const s = state.get(key);
      if (s !== undefined) fromState.push(key, s);
    }
    // Only an event admitted just now can be missing from the cache: load on demand.
    await cache.load(fromState.filter((_, i) => i % 2 === 1));
    for (let i = 0; i < fromState.length; i += 2) {
      const e = cache.get(fromState[i + 1]!);
      if (e && !e.rejected) byKey.set(fromState[i]!, e);
    }
    const verdict = checkEventAuth(
      event,
      (type, stateKey) => byKey.get(stateKeyId(type, stateKey)),
      v,
    );
    if (verdict.ok) state.set(stateKeyId(event.type, event.state_key), id);
  }
  return state;
}
