import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import type { Pdu } from '../../events/event-format.js';
import * as events from '../../events/store.js';
import { incompatibleVersion, residentRoom } from '../joins/resident-room.js';
import { assertAllowedNow, persistHandedOver } from './handed-over.js';
import { checkIncomingMemberEvent } from './incoming-event.js';
import { roomPreviewState } from './room-preview.js';
import { draftMemberEvent, templateJson } from './template.js';

/**
 * The resident side of leaves and knocks of other servers' users (server-server "Leaving
 * Rooms (Rejecting Invites)", "Knocking upon a room"): make_leave / make_knock hand out a
 * template on the room's current state, refused at once when the auth rules would refuse
 * the event; send_leave / send_knock take the signed event, check it (origin, id,
 * signatures, auth rules) before anything is written, persist it like any event of another
 * server and queue it for the room's other servers, which hear of it from us only.
 */

export type ResidentMembership = 'leave' | 'knock';

/**
 * The make_leave / make_knock answer for `userId` (a user of `origin`) in `roomId`.
 * `versions` (make_knock's `ver`) must include the room's version.
 * @throws MatrixError 404 (unknown room, or no member of this server left in it), 403
 *   (user of another server, ACL, refused by the auth rules: not invited, not a knock
 *   room, banned), 400 M_INCOMPATIBLE_ROOM_VERSION.
 */
export async function makeMembershipTemplate(
  ctx: Ctx,
  a: {
    origin: string;
    roomId: string;
    userId: string;
    membership: ResidentMembership;
    versions?: readonly string[];
  },
): Promise<{ room_version: string; event: Record<string, unknown> }> {
  const version = await residentRoom(ctx, a);
  if (a.versions && !a.versions.includes(version.id)) throw incompatibleVersion(version.id);
  if (a.membership === 'knock' && !version.knockJoinRule) throw incompatibleVersion(version.id);
  const d = await draftMemberEvent(ctx, {
    roomId: a.roomId,
    sender: a.userId,
    target: a.userId,
    content: { membership: a.membership },
  });
  if (!d.verdict.ok) {
    throw errors.forbidden(`${d.verdict.reason} (authorization rule ${d.verdict.rule})`);
  }
  return { room_version: version.id, event: templateJson(ctx, d) };
}

/**
 * Accepts the signed leave or knock `body` (claiming id `eventId`) of a user of `origin`.
 * Resolves with the knock_room_state for a knock (full PDUs), nothing for a leave. A retry
 * of an accepted event is answered again.
 * @throws MatrixError 400 (malformed, wrong id or signature, not of the origin's user),
 *   403 (auth rules, ACL), 404 (unknown room).
 */
export async function acceptMembershipEvent(
  ctx: Ctx,
  a: {
    origin: string;
    roomId: string;
    eventId: string;
    body: unknown;
    membership: ResidentMembership;
  },
): Promise<{ knockRoomState?: Pdu[] }> {
  const body = (a.body ?? {}) as Record<string, unknown>;
  const sender = typeof body.sender === 'string' ? body.sender : '';
  const version = await residentRoom(ctx, { origin: a.origin, roomId: a.roomId, userId: sender });
  const pdu = await checkIncomingMemberEvent(ctx, {
    origin: a.origin,
    roomId: a.roomId,
    eventId: a.eventId,
    version,
    event: body,
    membership: a.membership,
  });
  const stored = await events.getEventRow(ctx.db, a.eventId);
  if (stored && (stored.room_id !== a.roomId || stored.rejected_reason !== null)) {
    throw errors.forbidden('This event was refused before');
  }
  if (!stored) {
    const handedOver = { version, roomId: a.roomId, eventId: a.eventId, pdu };
    await assertAllowedNow(ctx, { ...handedOver, what: 'event' });
    const persisted = await persistHandedOver(ctx, { ...handedOver, relayedFrom: a.origin });
    if (persisted === 'missing') {
      throw errors.invalidParam('The event refers to events this server does not have');
    }
    if (persisted === 'refused') {
      throw errors.forbidden(`The ${a.membership} is not allowed by the room's state`);
    }
  }
  if (a.membership === 'knock') return { knockRoomState: await roomPreviewState(ctx, a.roomId) };
  return {};
}
