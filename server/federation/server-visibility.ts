import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { getEvents } from '../events/event-cache.js';
import { referencedEventIds, type Pdu } from '../events/event-format.js';
import { loadStateGroup } from '../events/state-groups.js';
import { stateKeyId, type StateMap } from '../events/state-map.js';
import * as events from '../events/store.js';
import { hasMemberOfServer } from './reads/store.js';

/**
 * Which events another server may see (the client-server rules of "Room History
 * Visibility" applied to a server's users, as Synapse's filter_events_for_server does; the
 * spec has no separate rule for servers). By the room's state *at* each event:
 * - world_readable: visible;
 * - shared (also an unknown or missing value): visible to a server with a joined member now
 *   (its users could read it once joined, as the client rule 3 says);
 * - invited: visible when one of the server's users was joined or invited;
 * - joined: visible when one of the server's users was joined.
 * For m.room.history_visibility events and the member events of the server's own users,
 * the state before the event may allow it too (the client rule's "before or after").
 * An event the server may not see is served redacted, as Synapse does, so that the
 * server can still walk the DAG and check auth without learning its content.
 */

const MEMBER_PREFIX = stateKeyId('m.room.member', '');
const KNOWN = new Set(['world_readable', 'shared', 'invited', 'joined']);

/** Whether `serverName` has a joined member in the room now. */
export function serverInRoom(ctx: Ctx, roomId: string, serverName: string): Promise<boolean> {
  return hasMemberOfServer(ctx.db, roomId, serverName, ['join']);
}

/** Whether the room's current history visibility is world_readable. */
async function worldReadableNow(ctx: Ctx, roomId: string): Promise<boolean> {
  const row = await events.getCurrentStateEventJson(
    ctx.db,
    roomId,
    'm.room.history_visibility',
    '',
  );
  return row
    ? (JSON.parse(row.json) as Pdu).content.history_visibility === 'world_readable'
    : false;
}

/**
 * 403 M_FORBIDDEN unless `origin` may read the room at all: it has a joined member now
 * (Synapse's "Host not in room"), or the room is world_readable now (anyone may peek).
 * Says which of the two it was.
 */
export async function assertServerMayRead(
  ctx: Ctx,
  roomId: string,
  origin: string,
): Promise<{ inRoom: boolean }> {
  if (await serverInRoom(ctx, roomId, origin)) return { inRoom: true };
  if (await worldReadableNow(ctx, roomId)) return { inRoom: false };
  throw errors.forbidden(`Host ${origin} not in room ${roomId}`);
}

/** What the visibility test needs of an event. */
export interface VisibilityEvent {
  type: string;
  state_key: string | null;
  /** The state group after the event (null for events without state: never visible). */
  state_group: number | null;
  json: string;
}

interface GroupFacts {
  visibility: string;
  /** The memberships of the server's users in the group's state. */
  memberships: Set<unknown>;
}

/**
 * A test "may `serverName` see this event", for the events of one request: what each
 * state group says is worked out once. `inRoom`: whether the server has a joined member
 * now (serverInRoom).
 */
export function serverVisibilityTest(
  ctx: Ctx,
  serverName: string,
  inRoom: boolean,
): (ev: VisibilityEvent) => Promise<boolean> {
  const suffix = `:${serverName}`;
  const facts = new Map<number, GroupFacts>();
  const factsOf = async (group: number): Promise<GroupFacts> => {
    let f = facts.get(group);
    if (f) return f;
    const state: StateMap = await loadStateGroup(ctx, group);
    const hvId = state.get(stateKeyId('m.room.history_visibility', ''));
    const memberIds: string[] = [];
    for (const [k, id] of state) {
      if (k.startsWith(MEMBER_PREFIX) && k.endsWith(suffix)) memberIds.push(id);
    }
    const loaded = await getEvents(ctx, hvId ? [hvId, ...memberIds] : memberIds);
    const hv = hvId ? loaded.get(hvId)?.pdu.content.history_visibility : undefined;
    f = {
      visibility: typeof hv === 'string' && KNOWN.has(hv) ? hv : 'shared',
      memberships: new Set(memberIds.map((id) => loaded.get(id)?.pdu.content.membership)),
    };
    facts.set(group, f);
    return f;
  };
  const stateAllows = async (group: number | null): Promise<boolean> => {
    if (group === null) return false;
    const { visibility, memberships } = await factsOf(group);
    if (visibility === 'world_readable') return true;
    if (visibility === 'shared' && inRoom) return true;
    if (memberships.has('join')) return true;
    return visibility === 'invited' && memberships.has('invite');
  };
  return async (ev) => {
    if (await stateAllows(ev.state_group)) return true;
    const beforeCounts =
      (ev.type === 'm.room.history_visibility' && ev.state_key === '') ||
      (ev.type === 'm.room.member' && ev.state_key !== null && ev.state_key.endsWith(suffix));
    if (!beforeCounts) return false;
    const prev = referencedEventIds((JSON.parse(ev.json) as Pdu).prev_events)[0];
    if (prev === undefined) return false;
    return stateAllows((await events.getEventRow(ctx.db, prev))?.state_group ?? null);
  };
}
