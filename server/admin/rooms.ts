import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { toClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { getCurrentStateJson } from '../events/store.js';
import { nextTokenOffset } from './paging.js';
import * as store from './rooms-store.js';

/** The admin API's room views (Synapse's Rooms API shapes) and room blocking. */

function localSuffix(ctx: Ctx): string {
  return `:${ctx.config.serverName}`;
}

/** A room id's shape (`!opaque:server`, or v12's `!hash`), else 400. */
export function assertRoomId(roomId: string): void {
  if (!/^![^\s]+$/.test(roomId)) throw errors.invalidParam(`Invalid room id ${roomId}`);
}

function listedRoom(r: store.AdminRoomRow): Record<string, unknown> {
  return {
    room_id: r.room_id,
    name: r.name,
    canonical_alias: r.canonical_alias,
    joined_members: r.joined_members,
    joined_local_members: r.joined_local_members,
    version: r.version,
    creator: r.creator,
    encryption: r.encryption,
    federatable: r.federatable === 1,
    public: r.public === 1,
    join_rules: r.join_rules,
    guest_access: r.guest_access,
    history_visibility: r.history_visibility,
    state_events: r.state_events,
    room_type: r.room_type,
  };
}

/** GET /v1/rooms: a page of the rooms this server knows (see ROOM_ORDER). */
export async function listRooms(
  ctx: Ctx,
  a: store.RoomFilter & { from: number; limit: number; orderBy: string; dir: 'f' | 'b' },
): Promise<Record<string, unknown>> {
  const rows = await store.listRooms(ctx.db, localSuffix(ctx), a, a);
  const total = await store.countRooms(ctx.db, localSuffix(ctx), a);
  const next = nextTokenOffset(a.from, rows.length, total);
  return {
    rooms: rows.map(listedRoom),
    offset: a.from,
    total_rooms: total,
    ...(next !== undefined ? { next_batch: next } : {}),
    ...(a.from > 0 ? { prev_batch: Math.max(0, a.from - a.limit) } : {}),
  };
}

async function existingRoom(ctx: Ctx, roomId: string): Promise<store.AdminRoomRow> {
  assertRoomId(roomId);
  const row = await store.getAdminRoom(ctx.db, localSuffix(ctx), roomId);
  if (!row) throw errors.notFound('Room not found');
  return row;
}

/** GET /v1/rooms/{roomId}: the listed fields plus avatar, topic and forgotten. */
export async function getRoomDetails(ctx: Ctx, roomId: string): Promise<Record<string, unknown>> {
  const row = await existingRoom(ctx, roomId);
  return {
    ...listedRoom(row),
    avatar: row.avatar,
    topic: row.topic,
    forgotten: await store.isForgottenByAllLocal(ctx.db, localSuffix(ctx), roomId),
    blocked: (await store.getBlockedRoom(ctx.db, roomId)) !== undefined,
  };
}

/** GET /v1/rooms/{roomId}/members: who is joined. */
export async function getRoomMembers(ctx: Ctx, roomId: string): Promise<Record<string, unknown>> {
  await existingRoom(ctx, roomId);
  const members = await store.listJoinedMembers(ctx.db, roomId);
  return { members, total: members.length };
}

/** GET /v1/rooms/{roomId}/state: the current state events, as clients see events. */
export async function getRoomStateEvents(
  ctx: Ctx,
  roomId: string,
): Promise<Record<string, unknown>> {
  await existingRoom(ctx, roomId);
  const now = ctx.clock.now();
  const state = (await getCurrentStateJson(ctx.db, roomId)).map((r) =>
    toClientEvent(JSON.parse(r.json) as Pdu, { eventId: r.event_id, roomId }, { now }),
  );
  return { state };
}

/** GET /v1/rooms/{roomId}/block: whether it is blocked (and by whom). Unknown rooms too. */
export async function getRoomBlock(ctx: Ctx, roomId: string): Promise<Record<string, unknown>> {
  assertRoomId(roomId);
  const row = await store.getBlockedRoom(ctx.db, roomId);
  return row ? { block: true, user_id: row.user_id } : { block: false };
}

/**
 * PUT /v1/rooms/{roomId}/block: blocks or unblocks a room. A room this server does not know
 * may be blocked ahead of anyone joining it, as Synapse allows.
 */
export async function setRoomBlock(
  ctx: Ctx,
  adminUserId: string,
  roomId: string,
  block: boolean,
): Promise<Record<string, unknown>> {
  assertRoomId(roomId);
  await ctx.writer.transaction('admin_block_room', (tx) =>
    block
      ? store.insertBlockedRoom(tx, { roomId, userId: adminUserId, ts: ctx.clock.now() })
      : store.deleteBlockedRoom(tx, roomId),
  );
  ctx.log.info({ roomId, block, by: adminUserId }, 'room block changed');
  return { block };
}

/**
 * Refuses a local user's join, invite or knock in a blocked room (403), as Synapse does:
 * called by the membership path (rooms/membership.ts) before anything is sent.
 */
export async function assertRoomNotBlocked(ctx: Ctx, roomId: string): Promise<void> {
  if (await store.getBlockedRoom(ctx.db, roomId)) {
    throw errors.forbidden('This room has been blocked on this server');
  }
}
