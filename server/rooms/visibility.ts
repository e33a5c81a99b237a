import { createCache, type Cache } from '../core/cache.js';
import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { getEvents } from '../events/event-cache.js';
import { referencedEventIds, type Pdu } from '../events/event-format.js';
import { roomVersion, type RoomVersion } from '../events/room-versions.js';
import { loadStateGroup } from '../events/state-groups.js';
import { stateKeyId, type StateMap } from '../events/state-map.js';
import * as events from '../events/store.js';
import * as store from './timeline-store.js';

/**
 * Who may read which events of a room (client-server API, module "Room History
 * Visibility", "Server behaviour"). The rules look at the room's state *at each event*
 * (its state group: the state after it):
 * 1. history_visibility world_readable: allow;
 * 2. the user's membership was join: allow;
 * 3. shared, and the user joined the room at any point after the event: allow;
 * 4. invited, and the user's membership was invite: allow;
 * 5. otherwise deny.
 * An unknown or missing history_visibility counts as shared. For m.room.history_visibility
 * events and the user's own m.room.member events, the state before the event (the state
 * after its first prev event) may allow it too.
 */

const KNOWN = new Set(['world_readable', 'shared', 'invited', 'joined']);

/** A room as one user may read it: its version, and the per-event visibility test. */
export interface RoomView {
  roomId: string;
  version: RoomVersion;
  canSee(row: store.TimelineRow): Promise<boolean>;
}

/**
 * Opens a room for reading by `userId`. Throws 404 M_NOT_FOUND for an unknown room and
 * 403 M_FORBIDDEN unless the user is joined, was joined once (they then read what they
 * could see before they left) or the room is world_readable now.
 *
 * `known.joinedAt`: the stream position of the user's current join event, when the caller
 * already holds it (/sync reads every membership event of the user); it spares the reads
 * of the current member event. Other callers leave it out.
 */
export async function openRoomView(
  ctx: Ctx,
  userId: string,
  roomId: string,
  known: { joinedAt?: number } = {},
): Promise<RoomView> {
  const version = await versionOf(ctx, roomId);
  const lastJoin = known.joinedAt ?? (await lastJoinOrdering(ctx, roomId, userId));
  if (lastJoin === null) {
    const hv = await events.getCurrentStateEventJson(
      ctx.db,
      roomId,
      'm.room.history_visibility',
      '',
    );
    const value = hv ? (JSON.parse(hv.json) as Pdu).content.history_visibility : undefined;
    if (value !== 'world_readable') throw errors.forbidden(`You are not in room ${roomId}`);
  }
  return { roomId, version, canSee: visibilityTest(ctx, userId, lastJoin) };
}

/**
 * Room versions by room id. A room's version is fixed at its creation (an upgrade makes a
 * new room) and rooms are never deleted, so a version once read stays right; /sync opens
 * every room of the account on each pass. Bounded by count; unknown rooms are not kept.
 */
const versionCaches = new WeakMap<Ctx, Cache<string, RoomVersion>>();

async function versionOf(ctx: Ctx, roomId: string): Promise<RoomVersion> {
  let cache = versionCaches.get(ctx);
  if (!cache)
    versionCaches.set(ctx, (cache = createCache(ctx.config.caches, 'room_versions', 10_000)));
  const cached = cache.get(roomId);
  if (cached) return cached;
  const room = await events.getRoom(ctx.db, roomId);
  if (!room) throw errors.notFound(`Unknown room ${roomId}`);
  const version = roomVersion(room.room_version);
  if (!version) throw new Error(`room ${roomId} has unknown version ${room.room_version}`);
  cache.set(roomId, version);
  return version;
}

/** Where the user last joined: their current member event when joined, else a scan. */
async function lastJoinOrdering(ctx: Ctx, roomId: string, userId: string): Promise<number | null> {
  const current = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.member', userId);
  if (current && (JSON.parse(current.json) as Pdu).content.membership === 'join') {
    const row = await events.getEventRow(ctx.db, current.event_id);
    if (row) return row.stream_ordering;
  }
  return store.getLastJoinOrdering(ctx.db, roomId, userId);
}

/** What a state says for one user's visibility test: the room's history visibility, their membership. */
interface Facts {
  visibility: string;
  membership: unknown;
}

/**
 * Facts by state: the history visibility of a state, and each user's membership in it,
 * once looked up. The long-polls woken by one event test it against the same state group,
 * each in a view of its own, and each used to look up the same two state events again.
 *
 * Invariant: what is kept never changes. The states are those loadStateGroup answers: the
 * state-group cache's objects, each the content of a group, and groups never change once
 * written (state-groups.ts), so nothing may modify those objects (every reader of the cache
 * relies on it). The events a state names never change but for redaction, which keeps
 * `history_visibility` of m.room.history_visibility and `membership` of m.room.member in
 * every room version; an event not found is not kept. A purged room's groups leave the
 * state-group cache, so a group id loaded again is a new object with no record here (the
 * WeakMap lets records go with their states).
 */
const factsByState = new WeakMap<
  StateMap,
  { visibility: string | undefined; byUser: Map<string, Facts> }
>();

function keptFactsOf(state: StateMap): {
  visibility: string | undefined;
  byUser: Map<string, Facts>;
} {
  let kept = factsByState.get(state);
  if (!kept) factsByState.set(state, (kept = { visibility: undefined, byUser: new Map() }));
  return kept;
}

function visibilityTest(
  ctx: Ctx,
  userId: string,
  lastJoin: number | null,
): (row: store.TimelineRow) => Promise<boolean> {
  // From the shared parsed-event cache: the same few state events (history visibility, the
  // user's membership) are read by every view of the room and served by /sync.
  // An event not found reads as empty content (undefined here); what is read from one is
  // not kept.
  const content = async (eventId: string): Promise<Readonly<Record<string, unknown>> | undefined> =>
    (await getEvents(ctx, [eventId])).get(eventId)?.pdu.content;
  // What a state group says (history visibility, the user's membership) never changes, and
  // a page of events mostly shares a few groups: each is looked at once per view, and
  // across views through the state's own record (factsByState).
  const facts = new Map<number, Facts>();
  const factsOf = async (group: number): Promise<Facts> => {
    let f = facts.get(group);
    if (!f) {
      const state = await loadStateGroup(ctx, group);
      const kept = keptFactsOf(state);
      f = kept.byUser.get(userId);
      if (!f) {
        let visibility = kept.visibility;
        if (visibility === undefined) {
          const found = await visibilityIn(state);
          visibility = found.visibility;
          if (found.known) kept.visibility = visibility;
        }
        const memberId = state.get(stateKeyId('m.room.member', userId));
        const member = memberId === undefined ? undefined : await content(memberId);
        f = { visibility, membership: memberId === undefined ? 'leave' : member?.membership };
        if (memberId === undefined || member) kept.byUser.set(userId, f);
      }
      facts.set(group, f);
    }
    return f;
  };
  /** The state's history visibility, and whether it was read from a found event (or none). */
  const visibilityIn = async (state: StateMap): Promise<{ visibility: string; known: boolean }> => {
    const hvId = state.get(stateKeyId('m.room.history_visibility', ''));
    const event = hvId === undefined ? undefined : await content(hvId);
    const hv = event?.history_visibility;
    return {
      visibility: typeof hv === 'string' && KNOWN.has(hv) ? hv : 'shared',
      known: hvId === undefined || event !== undefined,
    };
  };
  const stateAllows = async (group: number | null, streamOrdering: number): Promise<boolean> => {
    if (group === null) return false;
    return allows(await factsOf(group), lastJoin, streamOrdering);
  };
  return async (row) => {
    if (await stateAllows(row.state_group, row.stream_ordering)) return true;
    if (!stateBeforeCounts(row, userId)) return false;
    const prev = referencedEventIds((JSON.parse(row.json) as Pdu).prev_events)[0];
    if (prev === undefined) return false;
    return stateAllows(await store.getEventStateGroup(ctx.db, prev), row.stream_ordering);
  };
}

/** Rules 1-5 above, for the facts of the state at an event at `streamOrdering`. */
function allows(facts: Facts, lastJoin: number | null, streamOrdering: number): boolean {
  const { visibility, membership } = facts;
  if (visibility === 'world_readable') return true;
  if (membership === 'join') return true;
  if (visibility === 'shared' && lastJoin !== null && lastJoin >= streamOrdering) return true;
  return visibility === 'invited' && membership === 'invite';
}

/** Whether the state before `row` may allow it too (see above). */
function stateBeforeCounts(row: store.TimelineRow, userId: string): boolean {
  return (
    (row.type === 'm.room.history_visibility' && row.state_key === '') ||
    (row.type === 'm.room.member' && row.state_key === userId)
  );
}

/**
 * Whether `userId` (last joined at `lastJoin`) may see `row`, when memory alone can tell:
 * the state group of the row is in the state-group cache and the facts of that state for
 * the user were kept (factsByState) by an earlier view. Undefined when something would have
 * to be read; a view's canSee then answers. Where it answers, it answers as canSee does.
 * For the long-polls one event wakes: each checks that it may see the shared timeline of
 * the room (sync/sync-rooms.ts), and opening a view for it (its closures, its awaits) was
 * a tenth of a woken pass's allocations.
 */
export function knownVisible(
  ctx: Ctx,
  userId: string,
  lastJoin: number | null,
  row: store.TimelineRow,
): boolean | undefined {
  if (row.state_group === null) return stateBeforeCounts(row, userId) ? undefined : false;
  const state = ctx.caches.stateGroups.peek(row.state_group);
  const facts = state && factsByState.get(state)?.byUser.get(userId);
  if (!facts) return undefined;
  if (allows(facts, lastJoin, row.stream_ordering)) return true;
  return stateBeforeCounts(row, userId) ? undefined : false;
}
