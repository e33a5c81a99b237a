import type { Ctx } from '../../context.js';
import { isValidUserOf } from '../../core/ids.js';
import { getRoomsWithMembership } from '../../events/store.js';
import { setRemotePresence } from '../../presence/presence.js';
import type { PresenceState } from '../../presence/state.js';
import { membershipOf } from '../../rooms/room-state.js';
import { deliverRemoteToDevice, type ToDeviceMessages } from '../../to-device/send.js';
import { receiveRemoteReceipt } from '../../userdata/receipts.js';
import { setRemoteTyping } from '../../userdata/typing.js';
import { serverAllowedInRoom } from '../acl.js';
import { receiveDeviceListUpdate, receiveSigningKeyUpdate } from './device-lists.js';
import { insertInboundToDeviceId } from './store.js';
import { isObject } from '../../core/is-object.js';

/**
 * The EDUs of a received transaction (server-server "EDUs" and the sections of each type).
 * An EDU is about users of its origin only: one naming another server's user is ignored,
 * as are malformed ones (with a log line); EDUs get no answer, so nothing here fails the
 * transaction. Room EDUs (typing, receipts) obey the room's server ACL (server-server
 * "Server Access Control Lists").
 */

/** Handles one EDU of `origin`; never throws for bad input. */
export async function receiveEdu(ctx: Ctx, origin: string, edu: unknown): Promise<void> {
  if (!isObject(edu) || typeof edu.edu_type !== 'string' || !isObject(edu.content)) {
    ctx.log.info({ origin }, 'ignored a malformed EDU');
    return;
  }
  const { edu_type: type, content } = edu;
  try {
    switch (type) {
      case 'm.typing':
        return await receiveTyping(ctx, origin, content);
      case 'm.receipt':
        return await receiveReceipts(ctx, origin, content);
      case 'm.presence':
        return await receivePresence(ctx, origin, content);
      case 'm.direct_to_device':
        return await receiveToDevice(ctx, origin, content);
      case 'm.device_list_update':
        return await receiveDeviceListUpdate(ctx, origin, content);
      case 'm.signing_key_update':
        return await receiveSigningKeyUpdate(ctx, origin, content);
      default:
        ctx.log.debug({ origin, type }, 'ignored an EDU of unknown type');
    }
  } catch (err) {
    ctx.log.error({ err, origin, type }, 'could not handle an EDU');
  }
}

/** Whether `userId` is a user id of `server`. */
async function isJoined(ctx: Ctx, roomId: string, userId: string): Promise<boolean> {
  return (await membershipOf(ctx, roomId, userId)) === 'join';
}

/** m.typing: "verify that the user is in the room, and is a user belonging to the sending server". */
async function receiveTyping(ctx: Ctx, origin: string, c: Record<string, unknown>): Promise<void> {
  const { room_id: roomId, user_id: userId, typing } = c;
  if (typeof roomId !== 'string' || typeof typing !== 'boolean' || !isValidUserOf(userId, origin)) {
    ctx.log.info({ origin }, 'ignored an m.typing EDU: malformed, or not for a user of its origin');
    return;
  }
  if (!(await serverAllowedInRoom(ctx, roomId, origin))) return;
  if (!(await isJoined(ctx, roomId, userId))) return;
  setRemoteTyping(ctx, { roomId, userId, typing });
}

/**
 * m.receipt: room id -> receipt type -> user id -> { event_ids, data: { ts, thread_id } }.
 * Only `m.read` crosses servers (m.read.private never does); a room whose ACL denies the
 * origin has all its receipts ignored.
 */
async function receiveReceipts(
  ctx: Ctx,
  origin: string,
  c: Record<string, unknown>,
): Promise<void> {
  for (const [roomId, byType] of Object.entries(c)) {
    if (!isObject(byType) || !isObject(byType['m.read'])) continue;
    if (!(await serverAllowedInRoom(ctx, roomId, origin))) continue;
    for (const [userId, receipt] of Object.entries(byType['m.read'])) {
      if (!isValidUserOf(userId, origin) || !isObject(receipt)) continue;
      const ids = Array.isArray(receipt.event_ids) ? receipt.event_ids : [];
      const data = isObject(receipt.data) ? receipt.data : {};
      const eventId = ids.find((id): id is string => typeof id === 'string');
      if (!eventId || !(await isJoined(ctx, roomId, userId))) continue;
      const ts = typeof data.ts === 'number' && Number.isSafeInteger(data.ts) ? data.ts : null;
      await receiveRemoteReceipt(ctx, {
        roomId,
        userId,
        eventId,
        ts: ts ?? ctx.clock.now(),
        ...(typeof data.thread_id === 'string' && data.thread_id
          ? { threadId: data.thread_id }
          : {}),
      });
    }
  }
}

const PRESENCE_STATES = new Set<unknown>(['online', 'unavailable', 'offline']);

/** m.presence: `push`, a list of presence updates of the origin's users in rooms here. */
async function receivePresence(
  ctx: Ctx,
  origin: string,
  c: Record<string, unknown>,
): Promise<void> {
  if (!ctx.config.presence.enabled || !Array.isArray(c.push)) return;
  for (const p of c.push as unknown[]) {
    if (!isObject(p) || !isValidUserOf(p.user_id, origin) || !PRESENCE_STATES.has(p.presence)) {
      continue;
    }
    // Only users someone here can see (sharing a room); others would only fill the table.
    if (!(await getRoomsWithMembership(ctx.db, p.user_id, 'join')).length) continue;
    const ago = p.last_active_ago;
    await setRemotePresence(ctx, {
      userId: p.user_id,
      presence: p.presence as PresenceState,
      statusMsg: typeof p.status_msg === 'string' ? p.status_msg : null,
      lastActiveAgo: typeof ago === 'number' && Number.isSafeInteger(ago) && ago >= 0 ? ago : 0,
      currentlyActive: p.currently_active === true,
    });
  }
}

/**
 * m.direct_to_device: messages of a user of the origin to devices of local users,
 * delivered once per `message_id` of the origin.
 */
async function receiveToDevice(
  ctx: Ctx,
  origin: string,
  c: Record<string, unknown>,
): Promise<void> {
  const { sender, type, message_id: messageId, messages } = c;
  if (
    !isValidUserOf(sender, origin) ||
    typeof type !== 'string' ||
    typeof messageId !== 'string' ||
    !isObject(messages)
  ) {
    ctx.log.info({ origin }, 'ignored an m.direct_to_device EDU: malformed, or not of its origin');
    return;
  }
  const wellFormed: ToDeviceMessages = {};
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (!isObject(byDevice)) continue;
    const devices: Record<string, Record<string, unknown>> = {};
    for (const [deviceId, content] of Object.entries(byDevice)) {
      if (isObject(content)) devices[deviceId] = content;
    }
    wellFormed[userId] = devices;
  }
  const delivered = await deliverRemoteToDevice(ctx, {
    sender,
    type,
    messages: wellFormed,
    firstTime: (tx) =>
      insertInboundToDeviceId(tx, { origin, messageId, receivedTs: ctx.clock.now() }),
  });
  ctx.log.debug({ origin, sender, type, messageId, delivered }, 'received to-device messages');
}
