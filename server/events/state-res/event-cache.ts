import type { AuthEvent } from '../auth/types.js';
import { referencedEventIds } from '../event-format.js';
import type { RoomVersion } from '../room-versions.js';
import { stateKeyId } from '../state-map.js';
import type { StateResEvent, StateResFetch } from './types.js';

/**
 * The events one resolution has read, by id, so each is fetched once: the algorithm visits
 * the same auth events (power levels, the create event) again and again.
 */
export interface EventCache {
  get(id: string): StateResEvent | undefined;
  /** Fetches the ids not read yet, in one call; unknown ids stay unknown. */
  load(ids: Iterable<string>): Promise<void>;
  /** An event's auth event ids, whichever reference format its room version uses. */
  authIds(event: StateResEvent): readonly string[];
}

export function eventCache(fetch: StateResFetch): EventCache {
  const events = new Map<string, StateResEvent>();
  const tried = new Set<string>();
  const authIds = new WeakMap<StateResEvent, readonly string[]>();
  return {
    get: (id) => events.get(id),
    async load(ids) {
      const missing: string[] = [];
      for (const id of ids) {
        if (tried.has(id)) continue;
        tried.add(id);
        missing.push(id);
      }
      if (!missing.length) return;
      for (const [id, e] of await fetch.events(missing)) events.set(id, e);
    },
    authIds(event) {
      let ids = authIds.get(event);
      if (!ids) authIds.set(event, (ids = referencedEventIds(event.auth_events)));
      return ids;
    },
  };
}

export const POWER_LEVELS = stateKeyId('m.room.power_levels', '');
export const CREATE = stateKeyId('m.room.create', '');

/** The id of a v12 room's create event: its room id with `$` for `!` (spec rooms/v12). */
export function createEventIdOf(event: AuthEvent, v: RoomVersion): string | undefined {
  if (!v.roomIdFromCreateEvent || !event.room_id?.startsWith('!')) return undefined;
  return `$${event.room_id.slice(1)}`;
}

/**
 * An event's auth events by (type, state_key), skipping unknown ones, and rejected ones
 * unless `withRejected`. In v12 the create event is named by the room id rather than listed,
 * so it is added from there (loaded beforehand by the caller).
 */
export function authEventsByKey(
  event: StateResEvent,
  cache: EventCache,
  v: RoomVersion,
  withRejected = false,
): Map<string, StateResEvent> {
  const byKey = new Map<string, StateResEvent>();
  for (const id of cache.authIds(event)) {
    const a = cache.get(id);
    if (!a || a.state_key === undefined || (a.rejected && !withRejected)) continue;
    // Two of a key is against the rules (and rejected on receipt); the last listed counts,
    // as in Synapse's iterative auth checks and its reading of a sender's power level.
    byKey.set(stateKeyId(a.type, a.state_key), a);
  }
  const createId = createEventIdOf(event, v);
  if (createId && !byKey.has(CREATE)) {
    const create = cache.get(createId);
    if (create && (!create.rejected || withRejected)) byKey.set(CREATE, create);
  }
  return byKey;
}

/** The power level event among an event's auth events (the first one listed), if any. */
export function authPowerLevels(
  event: StateResEvent,
  cache: EventCache,
): StateResEvent | undefined {
  for (const id of cache.authIds(event)) {
    const a = cache.get(id);
    if (a?.type === 'm.room.power_levels' && a.state_key === '') return a;
  }
  return undefined;
}
