import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import {
  authEventsNeeded,
  checkAuthEvents,
  checkEventAuth,
  type AuthEvent,
} from '../../events/auth/check.js';
import { referencedEventIds, type Pdu } from '../../events/event-format.js';
import { MissingEventsError, persistRemoteEvent } from '../../events/persist-remote.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { loadStateGroup } from '../../events/state-groups.js';
import { stateKeyId } from '../../events/state-map.js';
import { storeFetch } from '../../events/state-res/index.js';
import * as events from '../../events/store.js';
import { incompatibleVersion, residentRoom } from '../joins/resident-room.js';
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
    await assertAllowedNow(ctx, version, a.roomId, a.eventId, pdu);
    let outcome;
    try {
      outcome = await persistRemoteEvent(ctx, {
        version,
        roomId: a.roomId,
        eventId: a.eventId,
        pdu,
        relayedFrom: a.origin,
      });
    } catch (err) {
      if (err instanceof MissingEventsError) {
        throw errors.invalidParam('The event refers to events this server does not have');
      }
      throw err;
    }
    if (outcome.outcome === 'rejected' || outcome.outcome === 'soft_failed') {
      throw errors.forbidden(`The ${a.membership} is not allowed by the room's state`);
    }
  }
  if (a.membership === 'knock') return { knockRoomState: await roomPreviewState(ctx, a.roomId) };
  return {};
}

/**
 * The auth rules against the event's own auth events and against the room's current
 * state, before anything is written: an event refused by them is answered 403 and not
 * stored (spec "Checks performed on receipt of a PDU", steps 4 and 6).
 */
async function assertAllowedNow(
  ctx: Ctx,
  version: RoomVersion,
  roomId: string,
  eventId: string,
  pdu: Pdu,
): Promise<void> {
  const event: AuthEvent = { ...(pdu as unknown as AuthEvent), event_id: eventId };
  const fetch = storeFetch(ctx.db);
  const authIds = referencedEventIds(pdu.auth_events);
  const listed = await fetch.events(authIds);
  if (listed.size !== new Set(authIds).size) {
    throw errors.invalidParam('The event lists auth events this server does not have');
  }
  const head = await ctx.roomQueue.run(roomId, () =>
    ctx.roomHeads.get(ctx.db, roomId, (g) => loadStateGroup(ctx, g)),
  );
  const createId = head.state.get(stateKeyId('m.room.create', ''));
  const create = createId ? (await fetch.events([createId])).get(createId) : undefined;
  const authEvents = [...listed.values()];
  let verdict = checkAuthEvents(
    event,
    authEvents,
    version,
    (e) => listed.get(e.event_id!)?.rejected === true,
  );
  if (verdict.ok) verdict = checkEventAuth(event, lookup(authEvents, create), version);
  if (verdict.ok) {
    const ids = [['m.room.create', ''] as const, ...authEventsNeeded(event, version)]
      .map(([t, k]) => head.state.get(stateKeyId(t, k)))
      .filter((id): id is string => id !== undefined);
    verdict = checkEventAuth(event, lookup([...(await fetch.events(ids)).values()]), version);
  }
  if (!verdict.ok) throw errors.forbidden(`${verdict.reason} (authorization rule ${verdict.rule})`);
}

/** An AuthState over events (the create event first, so a listed one wins). */
function lookup(list: readonly AuthEvent[], create?: AuthEvent) {
  const byKey = new Map<string, AuthEvent>();
  for (const e of create ? [create, ...list] : list) {
    if (e.state_key !== undefined) byKey.set(stateKeyId(e.type, e.state_key), e);
  }
  return (type: string, key: string) => byKey.get(stateKeyId(type, key));
}
