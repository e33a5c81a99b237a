import type { Ctx } from '../../context.js';
import type { Pdu } from '../../events/event-format.js';
import { insertOutlier } from '../../events/persist-join.js';
import * as events from '../../events/store.js';
import * as store from './store.js';
import { isObject } from '../../core/is-object.js';

/**
 * Local users' memberships in rooms this server is not in: an invite from another server,
 * a knock this server sent for a user, and the leave that ended either. The member event
 * is written as an outlier (a stream position, so /sync orders it, but no state and no
 * place in the room's DAG here) with a row in remote_memberships naming it, its room's
 * version, the servers to reach the room through and the stripped state to show. /sync
 * reads these outliers beside served member events; the newest position wins, so a later
 * join (a real event of the room) takes over. See docs/federation.md.
 */

/** A stripped state event as clients see it (client-server API, "Stripped state"). */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  content: Record<string, unknown>;
  sender: string;
}

export interface RemoteMembership {
  eventId: string;
  roomId: string;
  membership: store.RemoteMembershipKind;
  roomVersion: string;
  viaServers: string[];
  strippedState: StrippedStateEvent[];
  streamOrdering: number;
  pdu: Pdu;
}

/**
 * The stripped form of each well-formed entry of `state` (full PDUs or already stripped
 * events, as servers send either); malformed entries are left out.
 */
export function toStrippedState(state: unknown): StrippedStateEvent[] {
  if (!Array.isArray(state)) return [];
  const out: StrippedStateEvent[] = [];
  for (const e of state as unknown[]) {
    if (!isObject(e)) continue;
    const { type, state_key, content, sender } = e;
    if (typeof type !== 'string' || typeof state_key !== 'string') continue;
    if (!isObject(content) || typeof sender !== 'string') continue;
    out.push({ type, state_key, content, sender });
  }
  return out;
}

/**
 * Records a remote membership of `userId`: its member event as an outlier (unless it is
 * already stored) and the row naming it, in one writer unit; wakes the user's /sync after
 * the commit. Recording the same event twice changes nothing.
 */
export async function recordRemoteMembership(
  ctx: Ctx,
  a: {
    userId: string;
    roomId: string;
    eventId: string;
    pdu: Pdu;
    membership: store.RemoteMembershipKind;
    roomVersion: string;
    viaServers: string[];
    strippedState: StrippedStateEvent[];
  },
): Promise<void> {
  await ctx.writer.transaction('record_remote_membership', async (tx) => {
    if (await store.getRemoteMembership(tx, a.eventId)) return;
    if (!(await events.getEventRow(tx, a.eventId))) {
      // The event is kept without `unsigned` (the invite_room_state is in the row).
      const { unsigned: _u, ...pdu } = a.pdu;
      // With its auth chain, so the auth chains of events that cite it later (a join made
      // on the invite) include them once the room is joined.
      await insertOutlier(tx, a.roomId, { eventId: a.eventId, pdu });
    }
    await store.insertRemoteMembership(tx, {
      eventId: a.eventId,
      roomId: a.roomId,
      userId: a.userId,
      membership: a.membership,
      roomVersion: a.roomVersion,
      viaServers: a.viaServers,
      strippedState: a.strippedState,
    });
    tx.afterCommit(() => ctx.notifier.notify([a.userId]));
  });
}

function fromRow(row: store.RemoteMembershipRow, json: string): RemoteMembership {
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    membership: row.membership,
    roomVersion: row.room_version,
    viaServers: JSON.parse(row.via_servers) as string[],
    strippedState: JSON.parse(row.stripped_state) as StrippedStateEvent[],
    streamOrdering: row.stream_ordering,
    pdu: JSON.parse(json) as Pdu,
  };
}

/**
 * The user's remote membership in the room when it is their current one there (no served
 * member event of theirs came after it), else undefined.
 */
export async function currentRemoteMembership(
  ctx: Ctx,
  userId: string,
  roomId: string,
): Promise<RemoteMembership | undefined> {
  const row = await store.getLatestRemoteMembership(ctx.db, userId, roomId);
  if (!row) return undefined;
  const served = await store.getLatestServedMembershipPosition(ctx.db, userId, roomId);
  if (served !== undefined && served > row.stream_ordering) return undefined;
  const json = await events.getEventJson(ctx.db, row.event_id);
  return json === undefined ? undefined : fromRow(row, json);
}

/**
 * The user's pending invite to a room this server is not in (the servers to join it
 * through are `viaServers`: the inviter's), for the client's join and leave handling.
 */
export async function pendingRemoteInvite(
  ctx: Ctx,
  userId: string,
  roomId: string,
): Promise<RemoteMembership | undefined> {
  const m = await currentRemoteMembership(ctx, userId, roomId);
  return m?.membership === 'invite' ? m : undefined;
}

/**
 * The stripped state /sync shows with a remote membership event (its invite_state or
 * knock_state, without the event itself), or undefined when the event is not one.
 */
export async function remoteMembershipStrippedState(
  ctx: Ctx,
  eventId: string,
): Promise<StrippedStateEvent[] | undefined> {
  const row = await store.getRemoteMembership(ctx.db, eventId);
  return row ? (JSON.parse(row.stripped_state) as StrippedStateEvent[]) : undefined;
}
