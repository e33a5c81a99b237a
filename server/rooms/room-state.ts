import type { Requester } from '../accounts/requester.js';
import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { sendLocalEvent } from '../events/persist.js';
import * as events from '../events/store.js';
import { validateCanonicalAlias } from './canonical-alias.js';

/**
 * Room state and messages as the client-server API reads and writes them (spec modules
 * room_state, room_send, list_joined_rooms). Reads need the requester to be joined; what a
 * former member may still see (history visibility) comes with the timeline work.
 */

/** Throws 404 for an unknown room and 403 unless the user is joined to it. */
export async function assertJoined(ctx: Ctx, userId: string, roomId: string): Promise<void> {
  if (!(await events.getRoom(ctx.db, roomId))) throw errors.notFound(`Unknown room ${roomId}`);
  const member = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.member', userId);
  const membership = member ? (JSON.parse(member.json) as Pdu).content.membership : undefined;
  if (membership !== 'join') throw errors.forbidden(`You are not in room ${roomId}`);
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

/** GET /rooms/{roomId}/state */
export async function getRoomState(
  ctx: Ctx,
  requester: Requester,
  roomId: string,
): Promise<ClientEvent[]> {
  await assertJoined(ctx, requester.userId, roomId);
  return (await events.getCurrentStateJson(ctx.db, roomId)).map((r) => clientEvent(ctx, roomId, r));
}

/** GET /rooms/{roomId}/state/{eventType}/{stateKey}: the content, or the whole event with format=event. */
export async function getRoomStateEvent(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; type: string; stateKey: string; format: 'content' | 'event' },
): Promise<Record<string, unknown>> {
  await assertJoined(ctx, requester.userId, a.roomId);
  const row = await events.getCurrentStateEventJson(ctx.db, a.roomId, a.type, a.stateKey);
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
