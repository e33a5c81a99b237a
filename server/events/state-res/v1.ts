import { createHash } from 'node:crypto';
import { authEventsNeeded, checkEventAuth } from '../auth/check.js';
import type { RoomVersion } from '../room-versions.js';
import { stateKeyId, type StateMap } from '../state-map.js';
import { eventCache, POWER_LEVELS, type EventCache } from './event-cache.js';
import { separateStates } from './separate.js';
import type { StateResEvent, StateResFetch } from './types.js';

/**
 * State resolution of room version 1 (spec rooms/v1 "State resolution"): R starts as the
 * state the sets agree on; then the conflicted power levels, then join rules, then
 * memberships are resolved in turn, each against R as the previous passes left it; other
 * conflicts last. Synapse's reading of it, which the network runs: within a pass each key
 * is resolved against R as it was when the pass began, and a key some states lack is not
 * conflicted. Events unknown or rejected take no part.
 */
export async function resolveV1(
  v: RoomVersion,
  stateSets: readonly StateMap[],
  fetch: StateResFetch,
): Promise<Map<string, string>> {
  const { unconflicted, conflicted } = separateStates(stateSets, false);
  if (!conflicted.size) return unconflicted;
  const cache = eventCache(fetch);
  await cache.load([...conflicted.values()].flatMap((ids) => [...ids]));

  const resolved = unconflicted;
  const conflicts = new Map<string, StateResEvent[]>();
  for (const [key, ids] of conflicted) {
    const events = [...ids].map((id) => cache.get(id)).filter((e) => e && !e.rejected);
    if (events.length > 1) conflicts.set(key, events as StateResEvent[]);
    else if (events.length === 1) resolved.set(key, events[0]!.event_id);
  }
  // The state the checks read from R.
  const wanted: string[] = [];
  for (const events of conflicts.values()) {
    for (const e of events) {
      for (const [type, stateKey] of authEventsNeeded(e, v)) {
        const id = resolved.get(stateKeyId(type, stateKey));
        if (id !== undefined) wanted.push(id);
      }
    }
  }
  await cache.load(wanted);

  const passes: ((key: string) => boolean)[] = [
    (key) => key === POWER_LEVELS,
    (key) => key.startsWith('m.room.join_rules\u0000'),
    (key) => key.startsWith('m.room.member\u0000'),
  ];
  for (const inPass of passes) {
    const picked: [string, string][] = [];
    for (const [key, events] of conflicts) {
      if (inPass(key)) picked.push([key, resolveAuthConflict(v, events, resolved, cache)]);
    }
    for (const [key, id] of picked) {
      resolved.set(key, id);
      conflicts.delete(key);
    }
  }
  const picked: [string, string][] = [];
  for (const [key, events] of conflicts) {
    picked.push([key, resolveOtherConflict(v, events, resolved, cache)]);
  }
  for (const [key, id] of picked) resolved.set(key, id);
  return resolved;
}

/**
 * A conflict of events that affect authorisation: sorted by ascending depth then
 * descending sha1(event_id), the first is taken, and each next one replaces it while the
 * rules allow it in R with the one before it applied; the first refused stops the pass.
 */
function resolveAuthConflict(
  v: RoomVersion,
  events: readonly StateResEvent[],
  state: ReadonlyMap<string, string>,
  cache: EventCache,
): string {
  const sorted = orderByDepthDescending(events).reverse();
  let accepted = sorted[0]!;
  for (const event of sorted.slice(1)) {
    const overlay = new Map([[stateKeyId(accepted.type, accepted.state_key!), accepted]]);
    if (!allowed(v, event, state, cache, overlay)) break;
    accepted = event;
  }
  return accepted.event_id;
}

/**
 * Any other conflict: the event with the highest depth, then the lowest sha1(event_id),
 * that the rules allow in R; when none is allowed, the last tried (as Synapse).
 */
function resolveOtherConflict(
  v: RoomVersion,
  events: readonly StateResEvent[],
  state: ReadonlyMap<string, string>,
  cache: EventCache,
): string {
  const sorted = orderByDepthDescending(events);
  for (const event of sorted) {
    if (allowed(v, event, state, cache)) return event.event_id;
  }
  return sorted[sorted.length - 1]!.event_id;
}

function allowed(
  v: RoomVersion,
  event: StateResEvent,
  state: ReadonlyMap<string, string>,
  cache: EventCache,
  overlay?: ReadonlyMap<string, StateResEvent>,
): boolean {
  const lookup = (type: string, stateKey: string): StateResEvent | undefined => {
    const key = stateKeyId(type, stateKey);
    const over = overlay?.get(key);
    if (over) return over;
    const id = state.get(key);
    return id === undefined ? undefined : cache.get(id);
  };
  return checkEventAuth(event, lookup, v).ok;
}

/** Highest depth first, then ascending sha1 of the event id (hex, over its UTF-8 bytes). */
function orderByDepthDescending(events: readonly StateResEvent[]): StateResEvent[] {
  const keyed = events.map((e) => ({
    e,
    sha: createHash('sha1').update(e.event_id).digest('hex'),
  }));
  keyed.sort((a, b) => b.e.depth - a.e.depth || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  return keyed.map((k) => k.e);
}
