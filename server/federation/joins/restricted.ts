import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { localMemberWhoMayInvite, roomsAdmittingJoin } from '../../rooms/join-rules.js';
import { membershipOf } from '../../rooms/room-state.js';
import { hasLocalJoinedMember } from './resident-room.js';

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
  const admitting = await roomsAdmittingJoin(ctx, version, roomId, userId);
  if (!admitting) return undefined;
  let known = false;
  let allowed = false;
  for (const allowedRoom of admitting) {
    // Only rooms this server is in tell whether the user is joined to them.
    if (!(await hasLocalJoinedMember(ctx, allowedRoom))) continue;
    known = true;
    if ((await membershipOf(ctx, allowedRoom, userId)) === 'join') {
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
  const authoriser = await localMemberWhoMayInvite(ctx, roomId);
  if (authoriser) return authoriser;
  throw new MatrixError(
    'M_UNABLE_TO_GRANT_JOIN',
    'No member of this server in the room may invite you; try another server',
    400,
  );
}
