import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { isUserOf } from '../core/ids.js';
import type { Queryable } from '../db/sql.js';
import * as events from '../events/store.js';
import { sendReceiptToServers } from '../federation/outgoing-edus.js';
import { assertJoined } from '../rooms/room-state.js';
import { positionAtCommit } from '../sync/stream-positions.js';
import { updateAccountData } from './account-data.js';
import * as store from './store.js';

/**
 * Receipts and the fully read marker (spec: client-server API, "Receipts" and "Read and
 * unread markers"). Receipts are "up to" markers, one per (user, type, thread); the
 * fully read marker is the per-room account data `m.fully_read`.
 *
 * Both only move forward: a receipt or marker for an event older (by stream order) than
 * the one already held is accepted and ignored, as Synapse does, so a client on a stale
 * view cannot rewind another client's position.
 */

export type ReceiptType = 'm.read' | 'm.read.private' | 'm.fully_read';

const UNTHREADED = '';

/** The event `eventId` of `roomId`, or 404 M_NOT_FOUND. */
async function roomEvent(ctx: Ctx, roomId: string, eventId: string): Promise<events.EventRow> {
  const row = await events.getEventRow(ctx.db, eventId);
  if (!row || row.room_id !== roomId || row.rejected_reason !== null) {
    throw errors.notFound(`Event ${eventId} not found in room ${roomId}`);
  }
  return row;
}

/** The receipt's thread: '' (unthreaded), 'main' or a thread root; 400 when malformed. */
function threadOf(receiptType: ReceiptType, threadId: unknown): string {
  if (threadId === undefined) return UNTHREADED;
  if (typeof threadId !== 'string' || threadId === '') {
    throw errors.invalidParam('thread_id field must be a non-empty string');
  }
  if (receiptType === 'm.fully_read') {
    throw errors.invalidParam('thread_id is not compatible with m.fully_read');
  }
  return threadId;
}

/**
 * POST /rooms/{roomId}/receipt/{receiptType}/{eventId}. Members only (403); the event
 * must be in the room (404); `m.fully_read` sets the read marker, as /read_markers does.
 */
export async function postReceipt(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; receiptType: ReceiptType; eventId: string; threadId: unknown },
): Promise<Record<string, never>> {
  const threadId = threadOf(a.receiptType, a.threadId);
  await assertJoined(ctx, requester.userId, a.roomId);
  const event = await roomEvent(ctx, a.roomId, a.eventId);
  if (a.receiptType === 'm.fully_read') await moveFullyRead(ctx, requester.userId, event);
  else await moveReceipt(ctx, requester.userId, a.receiptType, threadId, event);
  return {};
}

/**
 * POST /rooms/{roomId}/read_markers: the fully read marker and, in the same request,
 * unthreaded `m.read` / `m.read.private` receipts. Every event is checked before anything
 * is written, so a bad id changes nothing.
 */
export async function setReadMarkers(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; fullyRead?: string; read?: string; readPrivate?: string },
): Promise<Record<string, never>> {
  await assertJoined(ctx, requester.userId, a.roomId);
  const fullyRead = a.fullyRead ? await roomEvent(ctx, a.roomId, a.fullyRead) : null;
  const read = a.read ? await roomEvent(ctx, a.roomId, a.read) : null;
  const readPrivate = a.readPrivate ? await roomEvent(ctx, a.roomId, a.readPrivate) : null;
  const user = requester.userId;
  if (read) await moveReceipt(ctx, user, 'm.read', UNTHREADED, read);
  if (readPrivate) await moveReceipt(ctx, user, 'm.read.private', UNTHREADED, readPrivate);
  if (fullyRead) await moveFullyRead(ctx, user, fullyRead);
  return {};
}

/** Whether `event` comes after the event `currentId` (an unknown current one: yes). */
async function isAfter(q: Queryable, event: events.EventRow, currentId: string): Promise<boolean> {
  const current = await events.getEventRow(q, currentId);
  return !current || event.stream_ordering > current.stream_ordering;
}

/**
 * An `m.read` receipt of a user of another server (federation m.receipt). The caller has
 * checked that the user belongs to the sending server and is joined to the room. A receipt
 * for an event this server does not have in the room (or rejected) is ignored; like local
 * ones, it only moves forward.
 */
export async function receiveRemoteReceipt(
  ctx: Ctx,
  a: { roomId: string; userId: string; eventId: string; threadId?: string; ts: number },
): Promise<void> {
  const row = await events.getEventRow(ctx.db, a.eventId);
  if (!row || row.room_id !== a.roomId || row.rejected_reason !== null) return;
  await moveReceipt(ctx, a.userId, 'm.read', a.threadId ?? UNTHREADED, row, a.ts);
}

async function moveReceipt(
  ctx: Ctx,
  userId: string,
  receiptType: 'm.read' | 'm.read.private',
  threadId: string,
  event: events.EventRow,
  ts = ctx.clock.now(),
): Promise<void> {
  const roomId = event.room_id;
  await ctx.writer.transaction('set_receipt', async (tx) => {
    const held = await store.getReceipt(tx, { roomId, receiptType, userId, threadId });
    if (held && !(await isAfter(tx, event, held.event_id))) return;
    await store.setReceipt(tx, {
      roomId,
      receiptType,
      userId,
      threadId,
      eventId: event.event_id,
      ts,
    });
    tx.afterCommit(() => {
      forgetReadPositions(ctx, userId, roomId);
      // A private receipt is news only to its owner.
      ctx.notifier.notify(receiptType === 'm.read.private' ? [userId] : [roomId]);
      // A local user's public receipt goes to the room's other servers too.
      if (receiptType === 'm.read' && isUserOf(userId, ctx.config.serverName)) {
        sendReceiptToServers(ctx, {
          roomId,
          userId,
          eventId: event.event_id,
          ts,
          ...(threadId !== UNTHREADED ? { threadId } : {}),
        });
      }
    });
  });
}

async function moveFullyRead(ctx: Ctx, userId: string, event: events.EventRow): Promise<void> {
  await updateAccountData(
    ctx,
    { userId, roomId: event.room_id, type: 'm.fully_read' },
    async (current, tx) => {
      const heldId = typeof current?.event_id === 'string' ? current.event_id : null;
      if (heldId && !(await isAfter(tx, event, heldId))) return null;
      return { event_id: event.event_id };
    },
  );
}

/** The content of an `m.receipt` event: event id -> receipt type -> user id -> receipt. */
export type ReceiptContent = Record<
  string,
  Record<string, Record<string, { ts: number; thread_id?: string }>>
>;

export interface ReceiptDelta {
  /** The stream position the delta reaches, for the next /sync token. */
  streamId: number;
  /** Per room with news for the user, the `m.receipt` EDU content. */
  rooms: Record<string, ReceiptContent>;
}

/**
 * The receipts of `roomIds` changed after stream position `since` (0: all of them), as
 * `m.receipt` contents for /sync. `m.read.private` receipts go to their owner only
 * (spec: "Servers MUST NOT send the m.read.private receipt to any other user"). A user
 * whose receipts of one type in two threads sit on the same event appears once there,
 * with the later one: the content's shape holds one receipt per event, type and user.
 */
export async function getReceiptsSince(
  ctx: Ctx,
  roomIds: readonly string[],
  since: number,
  forUserId: string,
): Promise<ReceiptDelta> {
  return getReceiptsBetween(ctx, roomIds, since, await store.getReceiptStreamId(ctx.db), forUserId);
}

/**
 * As getReceiptsSince, up to a stream position the caller read (`streamId`, the newest
 * position or an earlier one): receipts after it are left for the next delta.
 */
export async function getReceiptsBetween(
  ctx: Ctx,
  roomIds: readonly string[],
  since: number,
  streamId: number,
  forUserId: string,
): Promise<ReceiptDelta> {
  const delta: ReceiptDelta = { streamId, rooms: {} };
  if (since >= streamId) return delta;
  for (const roomId of roomIds) {
    const rows = await store.getReceiptChanges(ctx.db, roomId, since, streamId);
    let content: ReceiptContent | undefined;
    for (const r of rows) {
      if (r.receipt_type === 'm.read.private' && r.user_id !== forUserId) continue;
      content ??= {};
      const byType = (content[r.event_id] ??= {});
      const byUser = (byType[r.receipt_type] ??= {});
      byUser[r.user_id] =
        r.thread_id === UNTHREADED ? { ts: r.ts } : { ts: r.ts, thread_id: r.thread_id };
    }
    if (content) delta.rooms[roomId] = content;
  }
  return delta;
}

/** The newest position of the receipts stream, for a /sync token. */
export function currentReceiptStreamId(ctx: Ctx): Promise<number> {
  return store.getReceiptStreamId(ctx.db);
}

/**
 * currentReceiptStreamId, read once per commit and shared by the /sync passes until the
 * next (sync/stream-positions.ts).
 */
export function receiptPosition(ctx: Ctx): Promise<number> {
  return positionAtCommit(ctx, 'receipts', () => currentReceiptStreamId(ctx));
}

/**
 * How far a user has read each of `roomIds`, by room id and receipt thread (empty for a
 * room without a receipt). Kept in ctx.caches.readPositions until the user's next receipt
 * in the room; what is not kept is read in one query for all the rooms.
 */
/** How far the user has read the room, when memory holds it (no read); else undefined. */
export function knownReadPositions(
  ctx: Ctx,
  userId: string,
  roomId: string,
): ReadonlyMap<string, number> | undefined {
  return ctx.caches.readPositions.get(readKey(userId, roomId));
}

export async function getReadPositionsInRooms(
  ctx: Ctx,
  userId: string,
  roomIds: readonly string[],
): Promise<Map<string, ReadonlyMap<string, number>>> {
  const cache = ctx.caches.readPositions;
  const out = new Map<string, ReadonlyMap<string, number>>();
  const missing: string[] = [];
  for (const roomId of roomIds) {
    const known = knownReadPositions(ctx, userId, roomId);
    if (known) out.set(roomId, known);
    else missing.push(roomId);
  }
  if (!missing.length) return out;
  // Taken before the read: a receipt committed meanwhile moves it, and what was read is
  // then not kept (it may be the older position).
  const epoch = readEpochs.get(ctx) ?? 0;
  const read = new Map<string, Map<string, number>>(missing.map((r) => [r, new Map()]));
  for (const r of await store.getReadReceiptPositions(ctx.db, userId, missing)) {
    // Never below 0, as the unread counts have always read it.
    read.get(r.room_id)?.set(r.thread_id, Math.max(0, r.position));
  }
  const keep = (readEpochs.get(ctx) ?? 0) === epoch;
  for (const [roomId, positions] of read) {
    out.set(roomId, positions);
    if (keep) cache.set(readKey(userId, roomId), positions);
  }
  return out;
}

const readKey = (userId: string, roomId: string) => `${userId}\u0000${roomId}`;

/** Moves on each receipt write (getReadPositionsInRooms keeps only reads from one epoch). */
const readEpochs = new WeakMap<Ctx, number>();

/** After a receipt of the user in the room was committed: its read positions are stale. */
function forgetReadPositions(ctx: Ctx, userId: string, roomId: string): void {
  readEpochs.set(ctx, (readEpochs.get(ctx) ?? 0) + 1);
  ctx.caches.readPositions.delete(readKey(userId, roomId));
}
