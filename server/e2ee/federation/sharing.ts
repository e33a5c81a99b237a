import type { Ctx } from '../../context.js';
import type { Queryable } from '../../db/sql.js';
import { isJoinedWithUserOf, listJoinedMembersOfServer } from './store.js';

/**
 * Whether a user of another server shares a room with a user of this one (read through `q`:
 * a writer unit's tx sees that unit's membership changes). Only then does their server send
 * this one their device-list updates, and only then is the list held for them kept.
 */
export function sharesRoomWithLocalUser(ctx: Ctx, q: Queryable, userId: string): Promise<boolean> {
  return isJoinedWithUserOf(q, userId, ctx.config.serverName);
}

/** Whether any user of this server is joined to the room (current state). */
export async function hasLocalMember(ctx: Ctx, q: Queryable, roomId: string): Promise<boolean> {
  return (await listJoinedMembersOfServer(q, roomId, ctx.config.serverName, false)).length > 0;
}

/** The users of other servers joined to the room (current state). */
export function remoteMembersOf(ctx: Ctx, q: Queryable, roomId: string): Promise<string[]> {
  return listJoinedMembersOfServer(q, roomId, ctx.config.serverName, true);
}
