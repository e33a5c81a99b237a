import type { RoomVersion } from '../room-versions.js';
import type { StateMap } from '../state-map.js';
import { resolveV1 } from './v1.js';
import { resolveV2 } from './v2.js';
import type { StateResFetch } from './types.js';

export type { StateResEvent, StateResFetch } from './types.js';
export { memoryFetch, storeFetch } from './fetch.js';

/**
 * The resolution of a set of room states (spec server-server API "Room State Resolution"):
 * the state before an event whose prev_events have these states after them. Uses the
 * room version's algorithm: v1 (rooms/v1), v2 (rooms/v2, versions 2-11) or v2.1 (rooms/v12).
 * Pure but for `fetch`, which it reads events and auth chains through; a state set of one
 * is its own resolution. Throws only what `fetch` throws.
 */
export async function resolveStateGroups(
  v: RoomVersion,
  stateSets: readonly StateMap[],
  fetch: StateResFetch,
): Promise<Map<string, string>> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  return v.stateRes === 'v1' ? resolveV1(v, stateSets, fetch) : resolveV2(v, stateSets, fetch);
}
