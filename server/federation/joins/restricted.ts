import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { userLevel } from '../../events/auth/power-levels.js';
import type { Pdu } from '../../events/event-format.js';
import type { RoomVersion } from '../../events/room-versions.js';
import * as events from '../../events/store.js';
import { roomPowerLevels } from '../../rooms/directory.js';
import { membershipOf } from '../../rooms/room-state.js';
import { hasLocalJoinedMember, localJoinedMembers } from './resident-room.js';

/**
 * Restricted rooms on the resident side of a remote join (spec server-server "Restricted
 * rooms"; client-server "Restricted rooms"): when a user of another server who is neither
 * invited nor joined asks to join a room whose join rule is `restricted` (v8+) or
 * `knock_restricted` (v10+), this server must vouch for them: it checks that they are
 * joined to one of the rooms the allow list names, and picks one of its own members who may
 * invite, named in the join's `join_authorised_via_users_server` (and signs the join in
 * send_join).
 */

/**
 * The local user to name as `join_authorised_via_users_server`, or undefined when the join
 * needs none (not a restricted room, or the user is invited or already joined).
 * @throws MatrixError 400 M_UNABLE_TO_AUTHORISE_JOIN when this server is in none of the
 *   allowed rooms (it cannot tell), 403 M_FORBIDDEN when the user is in none of them,
 *   400 M_UNABLE_TO_GRANT_JOIN when no local member may invite (another server may).
 */
export async function remoteJoinAuthoriser(
  ctx: Ctx,
  version: RoomVersion,
  roomId: string,
  userId: string,
): Promise<string | undefined> {
  const row = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.join_rules', '');
  if (!row) return undefined;
  const rules = (JSON.parse(row.json) as Pdu).content;
  const restricted =
    (version.restrictedJoinRule && rules.join_rule === 'restricted') ||
    (version.knockRestrictedJoinRule && rules.join_rule === 'knock_restricted');
  if (!restricted) return undefined;
  const current = await membershipOf(ctx, roomId, userId);
  // Invited or joined users need no authoriser; a ban is refused by the auth rules.
  if (current === 'join' || current === 'invite' || current === 'ban') return undefined;

  let known = false;
  let allowed = false;
  for (const entry of Array.isArray(rules.allow) ? (rules.allow as unknown[]) : []) {
    const e = entry as { type?: unknown; room_id?: unknown } | null;
    if (e?.type !== 'm.room_membership' || typeof e.room_id !== 'string') continue;
    // Only rooms this server is in tell whether the user is joined to them.
    if (!(await hasLocalJoinedMember(ctx, e.room_id))) continue;
    known = true;
    if ((await membershipOf(ctx, e.room_id, userId)) === 'join') {
      allowed = true;
      break;
    }
  }
  if (!known) {
    throw new MatrixError(
      'M_UNABLE_TO_AUTHORISE_JOIN',
      'This server is in none of the rooms that admit members to this room',
      400,
    );
  }
  if (!allowed) throw errors.forbidden('You are not in any of the rooms this room admits');
  const pl = await roomPowerLevels(ctx, roomId);
  if (pl) {
    for (const member of await localJoinedMembers(ctx, roomId)) {
      if (userLevel(pl, member) >= pl.levels.invite) return member;
    }
  }
  throw new MatrixError(
    'M_UNABLE_TO_GRANT_JOIN',
    'No member of this server in the room may invite you; try another server',
    400,
  );
}
