import type { Requester } from '../accounts/requester.js';
import { userExists } from '../accounts/users.js';
import type { Ctx } from '../context.js';
import { randomString } from '../core/clock.js';
import { errors } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import { sendLocalEvent } from '../events/persist.js';
import { getRoom } from '../events/store.js';
import { createRoom } from '../rooms/create-room.js';
import { forgetRoom, joinRoom } from '../rooms/membership.js';
import { sendMessage } from '../rooms/room-state.js';
import * as roomsStore from '../rooms/store.js';
import { purgeRoom } from './room-purge.js';
import * as store from './rooms-store.js';
import { assertRoomId } from './rooms.js';

/**
 * Deleting a room (Synapse's Delete Room API): every local member leaves (a leave event
 * through the normal persist path, then the room is forgotten for them), the room's local
 * aliases go and it leaves the directory; optionally it is blocked first, its members moved
 * to a new room with a notice, and every row of it purged (room-purge.ts).
 */

export interface DeleteRoomArgs {
  roomId: string;
  adminUserId: string;
  block: boolean;
  purge: boolean;
  forcePurge: boolean;
  message?: string | undefined;
  newRoomUserId?: string | undefined;
  roomName?: string | undefined;
}

export interface ShutdownResult {
  kicked_users: string[];
  failed_to_kick_users: string[];
  local_aliases: string[];
  new_room_id: string | null;
}

const DEFAULT_MESSAGE =
  'Sharing illegal content on this server is not permitted and rooms in violation will be blocked.';
const DEFAULT_ROOM_NAME = 'Content Violation Notification';

/** A requester acting as a local user (the admin API acts for users; no rate limits). */
function actingAs(userId: string): Requester {
  return {
    userId,
    deviceId: '',
    tokenId: 0,
    isAdmin: true,
    isGuest: false,
    validUntilMs: null,
    refreshTokenId: null,
    used: true,
  };
}

/**
 * Checks a delete request before anything happens: a well-formed room id this server
 * knows (an unknown one only when it is to be blocked), and a local, existing
 * new_room_user_id. Resolves with whether the room is known.
 */
export async function checkDeleteRoom(ctx: Ctx, a: DeleteRoomArgs): Promise<boolean> {
  assertRoomId(a.roomId);
  const known = (await getRoom(ctx.db, a.roomId)) !== undefined;
  if (!known && !a.block) throw errors.notFound('Room not found');
  if (a.newRoomUserId !== undefined) {
    const id = parseUserId(a.newRoomUserId);
    if (!id || id.serverName !== ctx.config.serverName) {
      throw errors.invalidParam('new_room_user_id must be a local user');
    }
    if (!(await userExists(ctx, a.newRoomUserId))) {
      throw errors.invalidParam('new_room_user_id is not a user of this server');
    }
  }
  return known;
}

/** Kicks, blocks, moves and purges as the request asks (checkDeleteRoom first). */
export async function deleteRoom(
  ctx: Ctx,
  a: DeleteRoomArgs,
  onPurging: () => void = () => {},
): Promise<ShutdownResult> {
  const known = await checkDeleteRoom(ctx, a);
  if (a.block) {
    await ctx.writer.transaction('admin_block_room', (tx) =>
      store.insertBlockedRoom(tx, { roomId: a.roomId, userId: a.adminUserId, ts: ctx.clock.now() }),
    );
  }
  const result: ShutdownResult = {
    kicked_users: [],
    failed_to_kick_users: [],
    local_aliases: [],
    new_room_id: null,
  };
  if (!known) return result;
  if (a.newRoomUserId !== undefined) {
    const owner = actingAs(a.newRoomUserId);
    const { room_id } = await createRoom(ctx, owner, {
      preset: 'public_chat',
      name: a.roomName ?? DEFAULT_ROOM_NAME,
      // Members moved here read the notice but may not write.
      power_level_content_override: { users_default: -10 },
    });
    await sendMessage(ctx, owner, {
      roomId: room_id,
      type: 'm.room.message',
      txnId: `admin-delete-${ctx.clock.now()}`,
      content: { msgtype: 'm.text', body: a.message ?? DEFAULT_MESSAGE },
    });
    result.new_room_id = room_id;
  }
  const suffix = `:${ctx.config.serverName}`;
  for (const userId of await store.listJoinedMembers(ctx.db, a.roomId)) {
    if (!userId.endsWith(suffix)) continue;
    try {
      await sendLocalEvent(ctx, {
        roomId: a.roomId,
        type: 'm.room.member',
        stateKey: userId,
        sender: userId,
        content: { membership: 'leave' },
      });
      await forgetRoom(ctx, actingAs(userId), a.roomId);
      if (result.new_room_id) {
        await joinRoom(ctx, actingAs(userId), { roomIdOrAlias: result.new_room_id });
      }
      result.kicked_users.push(userId);
    } catch (err) {
      ctx.log.warn({ err, roomId: a.roomId, userId }, 'could not remove a user from a room');
      result.failed_to_kick_users.push(userId);
    }
  }
  result.local_aliases = await ctx.writer.transaction('admin_room_aliases', async (tx) => {
    const aliases = await roomsStore.getRoomAliases(tx, a.roomId);
    for (const alias of aliases) await roomsStore.deleteAlias(tx, alias);
    await roomsStore.setRoomPublic(tx, a.roomId, false);
    return aliases;
  });
  if (a.purge) {
    if (result.failed_to_kick_users.length && !a.forcePurge) {
      throw errors.invalidParam('Users are still joined to this room; use force_purge');
    }
    onPurging();
    await purgeRoom(ctx, a.roomId);
  }
  ctx.log.info({ roomId: a.roomId, by: a.adminUserId, ...result }, 'room deleted');
  return result;
}

// --- the asynchronous deletions of the v2 API

export type DeleteStatus = 'shutting_down' | 'purging' | 'complete' | 'failed';

interface DeleteTask {
  delete_id: string;
  room_id: string;
  status: DeleteStatus;
  error?: string;
  shutdown_room: ShutdownResult;
}

/** Deletions of each server, newest last; the oldest go past this many. */
const KEPT_TASKS = 100;
const tasksOf = new WeakMap<Ctx, Map<string, DeleteTask>>();

function tasks(ctx: Ctx): Map<string, DeleteTask> {
  let m = tasksOf.get(ctx);
  if (!m) tasksOf.set(ctx, (m = new Map()));
  return m;
}

/**
 * DELETE /v2/rooms/{roomId}: checks the request, then deletes in the background; the
 * returned delete_id follows it (deleteStatus*). Statuses live in memory, as Synapse's
 * do for a while: a restart forgets them.
 */
export async function startDeleteRoom(ctx: Ctx, a: DeleteRoomArgs): Promise<string> {
  await checkDeleteRoom(ctx, a);
  const task: DeleteTask = {
    delete_id: randomString(ctx.random, 16),
    room_id: a.roomId,
    status: 'shutting_down',
    shutdown_room: {
      kicked_users: [],
      failed_to_kick_users: [],
      local_aliases: [],
      new_room_id: null,
    },
  };
  const all = tasks(ctx);
  all.set(task.delete_id, task);
  for (const id of all.keys()) if (all.size > KEPT_TASKS) all.delete(id);
  deleteRoom(ctx, a, () => (task.status = 'purging')).then(
    (result) => {
      task.shutdown_room = result;
      task.status = 'complete';
    },
    (err: unknown) => {
      task.status = 'failed';
      task.error = err instanceof Error ? err.message : String(err);
      ctx.log.error({ err, roomId: a.roomId }, 'room deletion failed');
    },
  );
  return task.delete_id;
}

function shown(t: DeleteTask): Record<string, unknown> {
  return {
    delete_id: t.delete_id,
    status: t.status,
    ...(t.error !== undefined ? { error: t.error } : {}),
    shutdown_room: t.shutdown_room,
  };
}

/** GET /v2/rooms/{roomId}/delete_status: the room's deletions; 404 when none. */
export function deleteStatusesOfRoom(ctx: Ctx, roomId: string): { results: unknown[] } {
  const results = [...tasks(ctx).values()].filter((t) => t.room_id === roomId).map(shown);
  if (!results.length) throw errors.notFound('No delete task for room_id');
  return { results };
}

/** GET /v2/rooms/delete_status/{deleteId}: one deletion; 404 when unknown. */
export function deleteStatusOf(ctx: Ctx, deleteId: string): Record<string, unknown> {
  const t = tasks(ctx).get(deleteId);
  if (!t) throw errors.notFound('delete id not found');
  const { delete_id: _id, ...rest } = shown(t);
  return rest;
}
