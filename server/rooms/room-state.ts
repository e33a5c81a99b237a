import type { Requester } from '../accounts/requester.js';
import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { sendLocalEvent } from '../events/persist.js';
import { loadStateGroup } from '../events/state-groups.js';
import { splitStateKeyId, stateKeyId } from '../events/state-map.js';
import * as events from '../events/store.js';
import { assertThreadRootAllowed } from '../relations/thread-start.js';
import { validateCanonicalAlias } from './canonical-alias.js';
import { isForgotten } from './store.js';
import * as timelineStore from './timeline-store.js';

/**
 * Room state and messages as the client-server API reads and writes them (spec modules
 * room_state, room_send, list_joined_rooms). State reads need the requester to be joined,
 * or to have been: a former member reads the state as it was when they left.
 */

/** The user's membership in the room's current state, if any. */
export async function membershipOf(
  ctx: Ctx,
  roomId: string,
  userId: string,
): Promise<string | undefined> {
  const row = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.member', userId);
  const m = row ? (JSON.parse(row.json) as Pdu).content.membership : undefined;
  return typeof m === 'string' ? m : undefined;
}

/** Throws 404 for an unknown room and 403 unless the user is joined to it. */
export async function assertJoined(ctx: Ctx, userId: string, roomId: string): Promise<void> {
  if (!(await events.getRoom(ctx.db, roomId))) throw errors.notFound(`Unknown room ${roomId}`);
  if ((await membershipOf(ctx, roomId, userId)) !== 'join') {
    throw errors.forbidden(`You are not in room ${roomId}`);
  }
}

function clientEvent(
  ctx: Ctx,
  roomId: string,
  row: { event_id: string; json: string },
): ClientEvent {
  return toClientEvent(
    JSON.parse(row.json) as Pdu,
    { eventId: row.event_id, roomId },
    { now: ctx.clock.now() },
  );
}

/**
 * Which state of the room `userId` may read: null for the current state (they are joined);
 * for a former member (left, kicked or banned after having joined) their departure event,
 * whose state (after it) is the room as they last saw it — spec GET /state and /members:
 * 403 only for users who "weren't previously a member"; Synapse answers the same way.
 * Throws 404 for an unknown room and 403 for anyone else (an invite they rejected included,
 * and a former member who forgot the room, as Synapse).
 */
export async function readableStateAt(
  ctx: Ctx,
  userId: string,
  roomId: string,
): Promise<timelineStore.TimelineRow | null> {
  if (!(await events.getRoom(ctx.db, roomId))) throw errors.notFound(`Unknown room ${roomId}`);
  const member = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.member', userId);
  const membership = member ? (JSON.parse(member.json) as Pdu).content.membership : undefined;
  if (membership === 'join') return null;
  if (
    member &&
    (membership === 'leave' || membership === 'ban') &&
    (await timelineStore.getLastJoinOrdering(ctx.db, roomId, userId)) !== null &&
    !(await isForgotten(ctx.db, userId, roomId))
  ) {
    const row = await timelineStore.getTimelineRow(ctx.db, roomId, member.event_id);
    if (row?.state_group != null) return row;
  }
  throw errors.forbidden(`You are not in room ${roomId}`);
}

/** The state events of a state group (only those of `type`, when given). */
export async function stateJsonOfGroup(
  ctx: Ctx,
  group: number,
  type?: string,
): Promise<{ event_id: string; json: string }[]> {
  const state = await loadStateGroup(ctx, group);
  const ids = [...state]
    .filter(([key]) => type === undefined || splitStateKeyId(key)[0] === type)
    .map(([, id]) => id);
  const json = await events.getEventJsonMany(ctx.db, ids);
  return ids.flatMap((id) => (json.has(id) ? [{ event_id: id, json: json.get(id)! }] : []));
}

/** GET /rooms/{roomId}/state: the current state, or a former member's last (readableStateAt). */
export async function getRoomState(
  ctx: Ctx,
  requester: Requester,
  roomId: string,
): Promise<ClientEvent[]> {
  const departed = await readableStateAt(ctx, requester.userId, roomId);
  const rows = departed
    ? await stateJsonOfGroup(ctx, departed.state_group!)
    : await events.getCurrentStateJson(ctx.db, roomId);
  return rows.map((r) => clientEvent(ctx, roomId, r));
}

/**
 * GET /rooms/{roomId}/state/{eventType}/{stateKey}: the content, or the whole event with
 * format=event; of the state a former member last saw, for them (readableStateAt).
 */
export async function getRoomStateEvent(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; type: string; stateKey: string; format: 'content' | 'event' },
): Promise<Record<string, unknown>> {
  const departed = await readableStateAt(ctx, requester.userId, a.roomId);
  let row: { event_id: string; json: string } | undefined;
  if (departed) {
    const id = (await loadStateGroup(ctx, departed.state_group!)).get(
      stateKeyId(a.type, a.stateKey),
    );
    const json = id === undefined ? undefined : await events.getEventJson(ctx.db, id);
    row = json === undefined ? undefined : { event_id: id!, json };
  } else {
    row = await events.getCurrentStateEventJson(ctx.db, a.roomId, a.type, a.stateKey);
  }
  if (!row) throw errors.notFound(`The room has no ${a.type} state with key "${a.stateKey}"`);
  const ev = clientEvent(ctx, a.roomId, row);
  return a.format === 'event' ? { ...ev } : ev.content;
}

/**
 * PUT /rooms/{roomId}/state/{eventType}/{stateKey}. Setting the content the state already
 * has, by the same sender, returns the existing event instead of a duplicate (as Synapse).
 * A new m.room.canonical_alias is checked first (400 M_INVALID_PARAM / M_BAD_ALIAS).
 */
export async function setRoomState(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; type: string; stateKey: string; content: Record<string, unknown> },
): Promise<{ event_id: string }> {
  const current = await events.getCurrentStateEventJson(ctx.db, a.roomId, a.type, a.stateKey);
  const previous = current ? (JSON.parse(current.json) as Pdu) : undefined;
  if (
    current &&
    previous?.sender === requester.userId &&
    JSON.stringify(previous.content) === JSON.stringify(a.content)
  ) {
    return { event_id: current.event_id };
  }
  if (a.type === 'm.room.canonical_alias' && a.stateKey === '') {
    await validateCanonicalAlias(ctx, a.roomId, a.content, previous?.content);
  }
  const sent = await sendLocalEvent(ctx, {
    roomId: a.roomId,
    type: a.type,
    stateKey: a.stateKey,
    sender: requester.userId,
    content: a.content,
  });
  return { event_id: sent.eventId };
}

/**
 * PUT /rooms/{roomId}/send/{eventType}/{txnId}: a message event, idempotent per device
 * and transaction id (a retry gets the first event's id). Rate limited by rc_message.
 * A thread may not start from an event that has a relation (400 M_UNKNOWN, spec Threading).
 */
export async function sendMessage(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; type: string; txnId: string; content: Record<string, unknown> },
): Promise<{ event_id: string }> {
  if (!requester.isAdmin) {
    const retry = ctx.rateLimiter.take(
      `message:${requester.userId}`,
      ctx.config.rateLimits.message,
      { dryRun: true },
    );
    if (retry) throw errors.limitExceeded(retry);
  }
  await assertThreadRootAllowed(ctx, a.roomId, a.content);
  const sent = await sendLocalEvent(ctx, {
    roomId: a.roomId,
    type: a.type,
    sender: requester.userId,
    content: a.content,
    txn: { deviceId: requester.deviceId, scope: `send/${a.roomId}/${a.type}`, txnId: a.txnId },
  });
  if (!requester.isAdmin) {
    ctx.rateLimiter.take(`message:${requester.userId}`, ctx.config.rateLimits.message);
  }
  return { event_id: sent.eventId };
}

/** GET /joined_rooms */
export async function joinedRooms(ctx: Ctx, requester: Requester): Promise<string[]> {
  return events.getRoomsWithMembership(ctx.db, requester.userId, 'join');
}
