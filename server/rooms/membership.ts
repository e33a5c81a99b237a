import { getProfile } from '../accounts/profile.js';
import { assertRoomNotBlocked } from '../admin/rooms.js';
import type { Requester } from '../accounts/requester.js';
import { errors, MatrixError } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { RateLimit } from '../core/rate-limiter.js';
import type { Ctx } from '../context.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { sendLocalEvent } from '../events/persist.js';
import {
  joinRemoteRoom,
  needsRemoteJoin,
  resolveJoinTarget,
} from '../federation/joins/remote-join.js';
import { knockRemoteRoom } from '../federation/membership/remote-knock.js';
import { currentRemoteMembership } from '../federation/membership/remote-memberships.js';
import { leaveRemoteRoom } from '../federation/membership/remote-leave.js';
import { inviteRemoteUser } from '../federation/membership/send-invite.js';
import * as events from '../events/store.js';
import { roomVersion } from '../events/room-versions.js';
import { parseRoomAlias } from './directory.js';
import { displayFields } from './create-room.js';
import { localMemberWhoMayInvite, roomsAdmittingJoin } from './join-rules.js';
import { assertJoined, membershipOf, readableStateAt, stateJsonOfGroup } from './room-state.js';
import { parseToken } from './timeline.js';
import * as timelineStore from './timeline-store.js';
import * as store from './store.js';

/**
 * Room membership as the client-server API changes and reads it (spec "Room membership":
 * joining, knocking, inviting, leaving, kicking, banning; "Getting events for a room":
 * members, joined_members). Every change is an m.room.member event through the persist
 * path, so the room version's authorization rules decide it (403 naming the rule) and a
 * refused change writes nothing. Rooms this server is not in are joined through other
 * servers (federation/joins/remote-join.ts).
 */

type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

/** A room id (which must be known here) or a local alias, as the room id; 404 if unknown. */
async function resolveRoom(ctx: Ctx, roomIdOrAlias: string): Promise<string> {
  if (roomIdOrAlias.startsWith('#')) {
    if (!parseRoomAlias(roomIdOrAlias)) throw errors.invalidParam(`Invalid alias ${roomIdOrAlias}`);
    const roomId = await store.getAliasRoom(ctx.db, roomIdOrAlias);
    if (!roomId) throw errors.notFound(`Room alias ${roomIdOrAlias} not found`);
    return roomId;
  }
  if (!roomIdOrAlias.startsWith('!')) {
    throw errors.invalidParam(`${roomIdOrAlias} is neither a room id nor a room alias`);
  }
  if (!(await events.getRoom(ctx.db, roomIdOrAlias))) {
    throw errors.notFound(`Unknown room ${roomIdOrAlias}`);
  }
  return roomIdOrAlias;
}

function assertUserId(userId: string): void {
  if (!parseUserId(userId)) throw errors.invalidParam(`Invalid user id: ${userId}`);
}

/** Profile fields for a local user's member event (empty for remote users). */
async function profileFields(ctx: Ctx, userId: string): Promise<Record<string, string>> {
  if (parseUserId(userId)?.serverName !== ctx.config.serverName) return {};
  return displayFields(await getProfile(ctx, userId));
}

function withReason(
  content: Record<string, unknown>,
  reason: string | undefined,
): Record<string, unknown> {
  return reason === undefined ? content : { ...content, reason };
}

async function sendMember(
  ctx: Ctx,
  roomId: string,
  sender: string,
  target: string,
  content: Record<string, unknown>,
): Promise<void> {
  await sendLocalEvent(ctx, {
    roomId,
    type: 'm.room.member',
    stateKey: target,
    sender,
    content,
  });
}

/**
 * Runs `act` under rate limits: refused (429) before anything happens when a bucket is
 * full, counted only once the action succeeded. Server admins are not limited.
 */
async function limited<T>(
  ctx: Ctx,
  requester: Requester,
  buckets: [string, RateLimit][],
  act: () => Promise<T>,
): Promise<T> {
  if (requester.isAdmin) return act();
  for (const [key, limit] of buckets) {
    const retry = ctx.rateLimiter.take(key, limit, { dryRun: true });
    if (retry) throw errors.limitExceeded(retry);
  }
  const out = await act();
  for (const [key, limit] of buckets) ctx.rateLimiter.take(key, limit);
  return out;
}

/**
 * For a restricted room (join rule restricted v8+, knock_restricted v10+) the user is not
 * invited to: a local joined member who may invite, to name in the join's
 * join_authorised_via_users_server, once the user is found joined to a room the allow list
 * names (spec "Restricted rooms"). Undefined when the join needs no authoriser; 403 when
 * the user meets no allow condition or no local member may authorise.
 */
async function restrictedJoinAuthoriser(
  ctx: Ctx,
  roomId: string,
  userId: string,
): Promise<string | undefined> {
  const room = await events.getRoom(ctx.db, roomId);
  const version = room && roomVersion(room.room_version);
  const admitting = version && (await roomsAdmittingJoin(ctx, version, roomId, userId));
  if (!admitting) return undefined;
  let allowed = false;
  for (const allowedRoom of admitting) {
    if ((await membershipOf(ctx, allowedRoom, userId)) === 'join') allowed = true;
  }
  if (!allowed) throw errors.forbidden('You are not in any of the rooms this room admits');
  const authoriser = await localMemberWhoMayInvite(ctx, roomId);
  if (authoriser) return authoriser;
  throw errors.forbidden('No member of this server in the room may authorise the join');
}

/**
 * POST /join/{roomIdOrAlias} and /rooms/{roomId}/join. Joining a room one is already in
 * returns its id without a new event (as Synapse). Guests need m.room.guest_access
 * can_join (spec "Guest access"). Restricted rooms are joined through a local member
 * who may invite. Rate limited by rc_joins.local and rc_joins_per_room.
 */
export async function joinRoom(
  ctx: Ctx,
  requester: Requester,
  a: { roomIdOrAlias: string; reason?: string | undefined; via?: string[] | undefined },
): Promise<{ room_id: string }> {
  const me = requester.userId;
  const target = await resolveJoinTarget(ctx, { roomIdOrAlias: a.roomIdOrAlias, via: a.via ?? [] });
  if (await needsRemoteJoin(ctx, { userId: me, ...target })) {
    // A room of another server: joined through it (federation/joins/remote-join.ts).
    if (requester.isGuest) throw errors.forbidden('Guests cannot join rooms of other servers');
    if (target.roomIdOrAlias.startsWith('!')) await assertRoomNotBlocked(ctx, target.roomIdOrAlias);
    const buckets: [string, RateLimit][] = [[`join:${me}`, ctx.config.rateLimits.joinsRemote]];
    const joined = await limited(ctx, requester, buckets, async () =>
      joinRemoteRoom(ctx, {
        userId: me,
        roomId: target.roomIdOrAlias,
        via: target.via,
        content: withReason(await profileFields(ctx, me), a.reason),
      }),
    );
    await ctx.writer.transaction('unforget_room', (tx) =>
      store.deleteForgotten(tx, me, joined.room_id),
    );
    return joined;
  }
  const roomId = await resolveRoom(ctx, target.roomIdOrAlias);
  if ((await membershipOf(ctx, roomId, me)) === 'join') return { room_id: roomId };
  await assertRoomNotBlocked(ctx, roomId);
  if (requester.isGuest) {
    const row = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.guest_access', '');
    const access = row ? (JSON.parse(row.json) as Pdu).content.guest_access : undefined;
    if (access !== 'can_join') throw errors.forbidden('Guest access is not allowed in this room');
  }
  const buckets: [string, RateLimit][] = [
    [`join:${me}`, ctx.config.rateLimits.joinsLocal],
    [`join-room:${roomId}`, ctx.config.rateLimits.joinsPerRoom],
  ];
  await limited(ctx, requester, buckets, async () => {
    const authoriser = await restrictedJoinAuthoriser(ctx, roomId, me);
    const content = {
      membership: 'join',
      ...(await profileFields(ctx, me)),
      ...(authoriser ? { join_authorised_via_users_server: authoriser } : {}),
    };
    await sendMember(ctx, roomId, me, me, withReason(content, a.reason));
  });
  await ctx.writer.transaction('unforget_room', (tx) => store.deleteForgotten(tx, me, roomId));
  return { room_id: roomId };
}

/** POST /knock/{roomIdOrAlias}: ask to be invited (join rule knock, v7+). Rate limited as joins. */
export async function knockRoom(
  ctx: Ctx,
  requester: Requester,
  a: { roomIdOrAlias: string; reason?: string | undefined; via?: string[] | undefined },
): Promise<{ room_id: string }> {
  const me = requester.userId;
  if (a.roomIdOrAlias.startsWith('!') && !(await events.getRoom(ctx.db, a.roomIdOrAlias))) {
    // A room of another server: knocked on through it (federation/membership/remote-knock.ts).
    const roomId = a.roomIdOrAlias;
    await assertRoomNotBlocked(ctx, roomId);
    await limited(ctx, requester, [[`join:${me}`, ctx.config.rateLimits.joinsLocal]], () =>
      knockRemoteRoom(ctx, { roomId, userId: me, via: a.via ?? [], reason: a.reason }),
    );
    return { room_id: roomId };
  }
  const roomId = await resolveRoom(ctx, a.roomIdOrAlias);
  await assertRoomNotBlocked(ctx, roomId);
  await limited(ctx, requester, [[`join:${me}`, ctx.config.rateLimits.joinsLocal]], async () => {
    const content = { membership: 'knock', ...(await profileFields(ctx, me)) };
    await sendMember(ctx, roomId, me, me, withReason(content, a.reason));
  });
  return { room_id: roomId };
}

/**
 * POST /rooms/{roomId}/invite. A user of another server is invited through their server
 * (federation/membership/send-invite.ts). A local user's profile goes in the event, as
 * Synapse does. Rate limited by rc_invites.per_room, per_user and per_issuer.
 */
export async function inviteUser(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; userId: string; reason?: string | undefined },
): Promise<Record<string, never>> {
  assertUserId(a.userId);
  if (!(await events.getRoom(ctx.db, a.roomId))) throw errors.notFound(`Unknown room ${a.roomId}`);
  // Synapse's rule: a blocked room (admin API) takes no new members from this server.
  await assertRoomNotBlocked(ctx, a.roomId);
  const limits = ctx.config.rateLimits;
  const buckets: [string, RateLimit][] = [
    [`invite-room:${a.roomId}`, limits.invitesPerRoom],
    [`invite-user:${a.userId}`, limits.invitesPerUser],
    [`invite-issuer:${requester.userId}`, limits.invitesPerIssuer],
  ];
  if (parseUserId(a.userId)!.serverName !== ctx.config.serverName) {
    // Their server signs the invite first (federation/membership/send-invite.ts).
    const content = withReason({ membership: 'invite' }, a.reason);
    await limited(ctx, requester, buckets, () =>
      inviteRemoteUser(ctx, {
        roomId: a.roomId,
        sender: requester.userId,
        target: a.userId,
        content,
      }),
    );
    return {};
  }
  let profile: Record<string, string>;
  try {
    profile = await profileFields(ctx, a.userId);
  } catch (e) {
    if (e instanceof MatrixError && e.errcode === 'M_NOT_FOUND') {
      throw errors.notFound(`Unknown user ${a.userId}`);
    }
    throw e;
  }
  await limited(ctx, requester, buckets, () =>
    sendMember(
      ctx,
      a.roomId,
      requester.userId,
      a.userId,
      withReason({ membership: 'invite', ...profile }, a.reason),
    ),
  );
  await ctx.writer.transaction('unforget_room', (tx) =>
    store.deleteForgotten(tx, a.userId, a.roomId),
  );
  return {};
}

/**
 * POST /rooms/{roomId}/leave: leave, reject an invite or retract a knock. Leaving a room
 * one has already left changes nothing.
 */
export async function leaveRoom(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; reason?: string | undefined },
): Promise<Record<string, never>> {
  const me = requester.userId;
  // An invite to or a knock on a room this server is not in (federation/membership/).
  if (await leaveRemoteRoom(ctx, { roomId: a.roomId, userId: me, reason: a.reason })) return {};
  if (!(await events.getRoom(ctx.db, a.roomId))) throw errors.notFound(`Unknown room ${a.roomId}`);
  if ((await membershipOf(ctx, a.roomId, me)) === 'leave') return {};
  await sendMember(ctx, a.roomId, me, me, withReason({ membership: 'leave' }, a.reason));
  return {};
}

/**
 * POST /rooms/{roomId}/forget: hide a room the user has left (400 M_UNKNOWN while joined
 * or invited). Sync and room lists skip forgotten rooms; joining again or being invited
 * clears the mark.
 */
export async function forgetRoom(
  ctx: Ctx,
  requester: Requester,
  roomId: string,
): Promise<Record<string, never>> {
  // A room this server is not in: the user's invite, knock or leave there (federation/membership/).
  const remote = await currentRemoteMembership(ctx, requester.userId, roomId);
  const m = remote
    ? remote.membership
    : (await events.getRoom(ctx.db, roomId))
      ? await membershipOf(ctx, roomId, requester.userId)
      : null;
  if (m === null) throw errors.notFound(`Unknown room ${roomId}`);
  if (m === 'join' || m === 'invite') {
    throw errors.unknown(`You are still ${m === 'join' ? 'in' : 'invited to'} room ${roomId}`);
  }
  await ctx.writer.transaction('forget_room', (tx) =>
    store.insertForgotten(tx, requester.userId, roomId),
  );
  return {};
}

/**
 * POST /rooms/{roomId}/kick, /ban and /unban: another user's membership, as the room's
 * power levels allow. A kick needs the target in the room (joined, invited or knocking)
 * and an unban needs them banned; otherwise 403 and nothing is sent.
 */
export async function setOtherMembership(
  ctx: Ctx,
  requester: Requester,
  a: {
    action: 'kick' | 'ban' | 'unban';
    roomId: string;
    userId: string;
    reason?: string | undefined;
  },
): Promise<Record<string, never>> {
  assertUserId(a.userId);
  if (!(await events.getRoom(ctx.db, a.roomId))) throw errors.notFound(`Unknown room ${a.roomId}`);
  const current = await membershipOf(ctx, a.roomId, a.userId);
  if (a.action === 'kick' && !['join', 'invite', 'knock'].includes(current ?? '')) {
    throw errors.forbidden(`${a.userId} is not in the room`);
  }
  if (a.action === 'unban' && current !== 'ban') {
    throw errors.forbidden(`${a.userId} is not banned from the room`);
  }
  const membership: Membership = a.action === 'ban' ? 'ban' : 'leave';
  await sendMember(ctx, a.roomId, requester.userId, a.userId, withReason({ membership }, a.reason));
  return {};
}

/**
 * GET /rooms/{roomId}/members: the member events of the room's state, now or `at` a
 * pagination token (the state after the room's last event at or before it; the current
 * state when the token precedes the room), filtered by `membership` / `not_membership`
 * (either matching, when both are given). A former member gets the members as they were
 * when they left, whatever `at` says (spec: "the members at the time the user left";
 * readableStateAt decides who may read).
 */
export async function getMembers(
  ctx: Ctx,
  requester: Requester,
  a: {
    roomId: string;
    at?: string | undefined;
    membership?: string | undefined;
    notMembership?: string | undefined;
  },
): Promise<{ chunk: ClientEvent[] }> {
  let position = a.at === undefined ? undefined : parseToken(a.at, 'at');
  const departed = await readableStateAt(ctx, requester.userId, a.roomId);
  if (departed) position = Math.min(position ?? Infinity, departed.stream_ordering);
  const now = ctx.clock.now();
  const chunk: ClientEvent[] = [];
  for (const row of await memberEventsAt(ctx, a.roomId, position)) {
    const pdu = JSON.parse(row.json) as Pdu;
    if (pdu.type !== 'm.room.member') continue;
    const m = pdu.content.membership;
    const wanted =
      (a.membership === undefined && a.notMembership === undefined) ||
      (a.membership !== undefined && m === a.membership) ||
      (a.notMembership !== undefined && m !== a.notMembership);
    if (wanted)
      chunk.push(toClientEvent(pdu, { eventId: row.event_id, roomId: a.roomId }, { now }));
  }
  return { chunk };
}

/** The room's state events (members among them) now, or after its last event at `position`. */
async function memberEventsAt(
  ctx: Ctx,
  roomId: string,
  position: number | undefined,
): Promise<{ event_id: string; json: string }[]> {
  if (position === undefined) return events.getCurrentStateJson(ctx.db, roomId);
  const [last] = await timelineStore.getTimelineRows(ctx.db, {
    roomId,
    after: 0,
    upTo: position,
    dir: 'b',
    limit: 1,
  });
  if (last?.state_group == null) return events.getCurrentStateJson(ctx.db, roomId);
  return stateJsonOfGroup(ctx, last.state_group, 'm.room.member');
}

/** GET /rooms/{roomId}/joined_members: joined users with their room display name and avatar. */
export async function getJoinedMembers(
  ctx: Ctx,
  requester: Requester,
  roomId: string,
): Promise<{ joined: Record<string, { display_name?: string; avatar_url?: string }> }> {
  await assertJoined(ctx, requester.userId, roomId);
  const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
  for (const row of await events.getCurrentStateJson(ctx.db, roomId)) {
    const pdu = JSON.parse(row.json) as Pdu;
    if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'join') continue;
    const { displayname, avatar_url } = pdu.content;
    joined[pdu.state_key!] = {
      ...(typeof displayname === 'string' ? { display_name: displayname } : {}),
      ...(typeof avatar_url === 'string' ? { avatar_url } : {}),
    };
  }
  return { joined };
}
