import type { Ctx } from '../context.js';
import { randomString } from '../core/clock.js';
import { serverPartOf } from '../core/ids.js';
import type { Tx } from '../db/sql.js';
import { destinationsForRoom, destinationsForUser } from './sender/destinations.js';
import {
  presenceEdu,
  receiptEdu,
  toDeviceEdu,
  typingEdu,
  type OutgoingEdu,
} from './sender/edus.js';
import { queueEduForDestinations, sendEdu } from './sender/queue.js';

/**
 * What local users do that other servers hear of as EDUs (spec server-server API,
 * "Typing Notifications", "Receipts", "Presence"): the domains that own typing, receipts
 * and presence call these after their change is made. Each goes to the servers that share
 * the room (or, for presence, a room) with the user; with none, nothing is queued. These
 * are fire and forget: the change itself is done, and a notice that cannot be queued is
 * only logged (the next one supersedes it). To-device messages, which must not be lost,
 * are queued in their own transaction instead (server/to-device/send.ts).
 */

function sendSoon(ctx: Ctx, what: string, edu: OutgoingEdu, to: () => Promise<string[]>): void {
  void (async () => {
    const destinations = await to();
    if (destinations.length) await sendEdu(ctx, edu, destinations);
  })().catch((err: unknown) => ctx.log.warn({ err, edu: what }, 'could not queue an EDU'));
}

/** A local user started or stopped typing in a room. */
export function sendTypingToServers(
  ctx: Ctx,
  a: { roomId: string; userId: string; typing: boolean },
): void {
  sendSoon(ctx, 'm.typing', typingEdu(a), () => destinationsForRoom(ctx, ctx.db, a.roomId));
}

/** A local user's public read receipt moved (private ones never leave this server). */
export function sendReceiptToServers(
  ctx: Ctx,
  a: { roomId: string; userId: string; eventId: string; ts: number; threadId?: string },
): void {
  const edu = receiptEdu({
    roomId: a.roomId,
    receiptType: 'm.read',
    userId: a.userId,
    eventIds: [a.eventId],
    ts: a.ts,
    ...(a.threadId !== undefined ? { threadId: a.threadId } : {}),
  });
  sendSoon(ctx, 'm.receipt', edu, () => destinationsForRoom(ctx, ctx.db, a.roomId));
}

/** A local user's presence changed as others see it (presence.enabled governs the queue). */
export function sendPresenceToServers(
  ctx: Ctx,
  a: {
    userId: string;
    presence: 'online' | 'unavailable' | 'offline';
    statusMsg: string | null;
    lastActiveTs: number;
    currentlyActive: boolean;
  },
): void {
  const edu = presenceEdu({
    userId: a.userId,
    presence: a.presence,
    ...(a.statusMsg !== null ? { statusMsg: a.statusMsg } : {}),
    lastActiveTs: a.lastActiveTs,
    currentlyActive: a.currentlyActive,
  });
  sendSoon(ctx, 'm.presence', edu, () => destinationsForUser(ctx, a.userId));
}

/**
 * Queues a local user's to-device messages for users of other servers, one
 * m.direct_to_device EDU per server, in the caller's writer unit (the request's own, so a
 * retried request with the same transaction id queues nothing again, and nothing is lost).
 * `messages`: user id -> device id (or `*`) -> content, for users of other servers only.
 */
export async function queueToDeviceForServers(
  ctx: Ctx,
  tx: Tx,
  a: {
    sender: string;
    type: string;
    messages: Record<string, Record<string, Record<string, unknown>>>;
  },
): Promise<void> {
  const byServer = new Map<string, Record<string, Record<string, Record<string, unknown>>>>();
  for (const [userId, byDevice] of Object.entries(a.messages)) {
    const server = serverPartOf(userId);
    const forServer = byServer.get(server) ?? {};
    forServer[userId] = byDevice;
    byServer.set(server, forServer);
  }
  for (const [server, messages] of byServer) {
    const edu = toDeviceEdu({
      sender: a.sender,
      type: a.type,
      // The receiving server delivers each message id once (its deduplication).
      messageId: randomString(ctx.random, 24),
      messages,
    });
    await queueEduForDestinations(ctx, tx, edu, [server]);
  }
}
