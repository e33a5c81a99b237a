import { getProfile } from '../../accounts/profile.js';
import { assertRoomNotBlocked } from '../../admin/rooms.js';
import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import type { EventJson, Pdu } from '../../events/event-format.js';
import { computeRoomIdV12 } from '../../events/hashes.js';
import type { RoomVersion } from '../../events/room-versions.js';
import * as events from '../../events/store.js';
import { assertServerAllowed } from '../acl.js';
import { countersignEvent } from '../countersign.js';
import { checkPduSignaturesAndHashes } from '../event-signatures.js';
import { hasLocalJoinedMember } from '../joins/resident-room.js';
import { checkIncomingMemberEvent, type IncomingEvent } from './incoming-event.js';
import { recordRemoteMembership, toStrippedState } from './remote-memberships.js';

/**
 * The invited side of an invite from another server (server-server "Inviting to a room",
 * PUT /invite v1 and v2): the invite is checked (an m.room.member invite of a user of this
 * server, sent by a user of the origin and signed by it, with the id it claims), signed by
 * this server and answered. A room this server is not in has no state here, so the invite
 * is kept as a remote membership (remote-memberships.ts) with the stripped state it
 * carried, which /sync shows under rooms.invite. When a user of this server is already
 * joined to the room, the invite also arrives as a PDU through /send and is persisted
 * there like any event of the room; nothing is stored here then.
 */

/** The v12 check of invite_room_state (invites-v2.yaml: SHOULD for v12, MAY before). */
async function checkInviteRoomState(
  ctx: Ctx,
  version: RoomVersion,
  roomId: string,
  state: unknown[],
): Promise<void> {
  if (!version.roomIdFromCreateEvent) return;
  const create = state.find(
    (e): e is EventJson =>
      typeof e === 'object' && e !== null && (e as EventJson).type === 'm.room.create',
  );
  if (!create) throw errors.invalidParam('The m.room.create event is not in invite_room_state');
  if (computeRoomIdV12(create) !== roomId) {
    throw errors.invalidParam('The m.room.create event of invite_room_state is of another room');
  }
  for (const e of state) {
    if (typeof e !== 'object' || e === null) throw errors.invalidParam('Bad invite_room_state');
    const ev = e as EventJson;
    if (ev !== create && ev.room_id !== roomId) {
      throw errors.invalidParam('An event of invite_room_state is of another room');
    }
    const checked = await checkPduSignaturesAndHashes(ctx, version, ev);
    if (!checked.ok) throw errors.invalidParam(`Bad invite_room_state event: ${checked.reason}`);
  }
}

/**
 * Handles an invite of `origin` for a user of this server: returns the event with this
 * server's signature added.
 * @throws MatrixError 400 M_INCOMPATIBLE_ROOM_VERSION (the caller checks the version),
 *   M_INVALID_PARAM / M_BAD_JSON (see checkIncomingMemberEvent; unknown invitee), 403
 *   M_FORBIDDEN (the room's server ACL denies the origin).
 */
export async function receiveInvite(
  ctx: Ctx,
  a: IncomingEvent & { inviteRoomState: unknown },
): Promise<Pdu> {
  const { version, roomId } = a;
  const pdu = await checkIncomingMemberEvent(ctx, { ...a, membership: 'invite' });
  try {
    await getProfile(ctx, pdu.state_key!);
  } catch (err) {
    if (err instanceof MatrixError && err.errcode === 'M_NOT_FOUND') {
      throw errors.invalidParam(`Unknown user ${pdu.state_key}`);
    }
    throw err;
  }
  await assertServerAllowed(ctx, roomId, a.origin);
  // A room blocked by this server's admin takes no invites of its users (as Synapse).
  await assertRoomNotBlocked(ctx, roomId);
  const state = Array.isArray(a.inviteRoomState) ? (a.inviteRoomState as unknown[]) : [];
  await checkInviteRoomState(ctx, version, roomId, state);

  const signed = countersignEvent(ctx, version, pdu);
  const known = await events.getRoom(ctx.db, roomId);
  if (!(known && (await hasLocalJoinedMember(ctx, roomId)))) {
    const { unsigned: _u, ...stored } = signed;
    await recordRemoteMembership(ctx, {
      userId: pdu.state_key!,
      roomId,
      eventId: a.eventId,
      pdu: stored,
      membership: 'invite',
      roomVersion: version.id,
      viaServers: [a.origin],
      // The invite itself is shown from its own event (sync-rooms.ts strippedState).
      strippedState: toStrippedState(state).filter(
        (e) => !(e.type === 'm.room.member' && e.state_key === pdu.state_key),
      ),
    });
  }
  return signed;
}
