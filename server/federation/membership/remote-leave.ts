import type { Ctx } from '../../context.js';
import { MatrixError } from '../../core/errors.js';
import { buildLocalEvent, type BuiltEvent, type EventRef } from '../../events/build.js';
import { roomVersion, type RoomVersion } from '../../events/room-versions.js';
import * as events from '../../events/store.js';
import { hasLocalJoinedMember } from '../joins/resident-room.js';
import { callRemote, isUnsupportedEndpoint, RemoteRefusal } from './remote-call.js';
import {
  currentRemoteMembership,
  recordRemoteMembership,
  type RemoteMembership,
} from './remote-memberships.js';
import { isObject } from '../../core/is-object.js';
import { serverPartOf } from '../../core/ids.js';

/**
 * Rejecting an invite to, or retracting a knock on, a room this server is not in
 * (server-server "Leaving Rooms (Rejecting Invites)"): make_leave through the servers the
 * invite or knock came through, sign the template, send_leave (v2, v1 when v2 is not
 * served), then record the leave so /sync moves the room under `leave`. When no server
 * can be reached or all refuse, the invite is rejected here only, as Synapse does: a leave
 * made by this server on the invite (never sent), so the user is not stuck with it.
 */

function encode(s: string): string {
  return encodeURIComponent(s);
}

/** The template's prev/auth references as EventRefs (v1/v2 pairs carry their hashes). */
function refsOf(refs: unknown): EventRef[] | null {
  if (!Array.isArray(refs)) return null;
  const out: EventRef[] = [];
  for (const r of refs as unknown[]) {
    if (typeof r === 'string') out.push({ eventId: r, sha256: '' });
    else if (Array.isArray(r) && typeof r[0] === 'string') {
      const h = isObject(r[1]) && typeof r[1].sha256 === 'string' ? r[1].sha256 : '';
      out.push({ eventId: r[0], sha256: h });
    } else return null;
  }
  return out;
}

/**
 * Signs a make_leave / make_knock template for `userId` after the spec's checks on it
 * (room, sender, state_key, type and membership as asked); `content` is merged over the
 * template's. Throws RemoteRefusal (502) for a template that fails them.
 */
export function signMemberTemplate(
  ctx: Ctx,
  a: {
    server: string;
    body: unknown;
    roomId: string;
    userId: string;
    membership: 'leave' | 'knock';
    content: Record<string, unknown>;
  },
): { version: RoomVersion; built: BuiltEvent } {
  const bad = (why: string) =>
    new RemoteRefusal('M_UNKNOWN', `${a.server} sent a bad template: ${why}`, 502, true);
  const body = isObject(a.body) ? a.body : {};
  const version = typeof body.room_version === 'string' ? roomVersion(body.room_version) : null;
  if (!version) {
    throw new MatrixError(
      'M_INCOMPATIBLE_ROOM_VERSION',
      `The room's version is not supported by this server`,
      400,
      typeof body.room_version === 'string' ? { room_version: body.room_version } : {},
    );
  }
  const t = isObject(body.event) ? body.event : null;
  if (!t) throw bad('no event');
  if (t.room_id !== a.roomId) throw bad('another room');
  if (t.sender !== a.userId || t.state_key !== a.userId) throw bad('another user');
  if (t.type !== 'm.room.member') throw bad('not a member event');
  const content = isObject(t.content) ? t.content : {};
  if (content.membership !== a.membership) throw bad(`not a ${a.membership}`);
  const prev = refsOf(t.prev_events);
  const auth = refsOf(t.auth_events);
  if (!prev || !auth || typeof t.depth !== 'number')
    throw bad('no prev_events, auth_events or depth');
  const built = buildLocalEvent(ctx, version, {
    type: 'm.room.member',
    stateKey: a.userId,
    sender: a.userId,
    content: { ...content, ...a.content, membership: a.membership },
    roomId: a.roomId,
    prevEvents: prev,
    authEvents: auth,
    depth: t.depth,
  });
  return { version, built };
}

/** The servers to ask: those recorded with the membership, then the inviter's. */
function serversFor(ctx: Ctx, m: RemoteMembership): string[] {
  const inviter = serverPartOf(m.pdu.sender);
  return [...new Set([...m.viaServers, inviter])].filter((s) => s !== ctx.config.serverName);
}

/** make_leave + send_leave through `server`; resolves with the leave sent. */
async function leaveThrough(
  ctx: Ctx,
  server: string,
  a: { roomId: string; userId: string; reason?: string | undefined },
): Promise<BuiltEvent> {
  const made = await callRemote(ctx, server, {
    method: 'GET',
    path: `/_matrix/federation/v1/make_leave/${encode(a.roomId)}/${encode(a.userId)}`,
  });
  const { built } = signMemberTemplate(ctx, {
    server,
    body: made.body,
    roomId: a.roomId,
    userId: a.userId,
    membership: 'leave',
    content: a.reason !== undefined ? { reason: a.reason } : {},
  });
  const path = (v: string) =>
    `/_matrix/federation/${v}/send_leave/${encode(a.roomId)}/${encode(built.eventId)}`;
  try {
    await callRemote(ctx, server, { method: 'PUT', path: path('v2'), body: built.pdu });
  } catch (err) {
    if (!isUnsupportedEndpoint(err)) throw err;
    await callRemote(ctx, server, { method: 'PUT', path: path('v1'), body: built.pdu });
  }
  return built;
}

/**
 * A leave this server makes on the invite or knock alone, never sent: it follows the
 * invite (its prev and auth event), so it orders after it in /sync.
 */
function localLeave(
  ctx: Ctx,
  version: RoomVersion,
  m: RemoteMembership,
  a: { roomId: string; userId: string; reason?: string | undefined },
): BuiltEvent {
  const ref: EventRef = { eventId: m.eventId, sha256: m.pdu.hashes.sha256 };
  return buildLocalEvent(ctx, version, {
    type: 'm.room.member',
    stateKey: a.userId,
    sender: a.userId,
    content: { membership: 'leave', ...(a.reason !== undefined ? { reason: a.reason } : {}) },
    roomId: a.roomId,
    prevEvents: [ref],
    authEvents: [ref],
    depth: m.pdu.depth + 1,
  });
}

/**
 * Leaves a room this server is not in but where `userId` has a pending remote invite or
 * knock. Resolves false (doing nothing) when there is none.
 */
export async function leaveRemoteRoom(
  ctx: Ctx,
  a: { roomId: string; userId: string; reason?: string | undefined },
): Promise<boolean> {
  const m = await currentRemoteMembership(ctx, a.userId, a.roomId);
  if (!m || m.membership === 'leave') return false;
  // Joined since (through another user): the invite is in the room's state here, and the
  // leave is an ordinary event of the room, which must enter its DAG here too.
  if ((await events.getRoom(ctx.db, a.roomId)) && (await hasLocalJoinedMember(ctx, a.roomId))) {
    return false;
  }
  const version = roomVersion(m.roomVersion);
  if (!version) return false;
  let leave: BuiltEvent | null = null;
  for (const server of serversFor(ctx, m)) {
    try {
      leave = await leaveThrough(ctx, server, a);
      break;
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      ctx.log.warn(
        { roomId: a.roomId, server, errcode: err.errcode, error: err.message },
        'could not leave a room through a server',
      );
    }
  }
  if (!leave) {
    ctx.log.warn({ roomId: a.roomId, userId: a.userId }, `rejecting the ${m.membership} locally`);
    leave = localLeave(ctx, version, m, a);
  }
  await recordRemoteMembership(ctx, {
    userId: a.userId,
    roomId: a.roomId,
    eventId: leave.eventId,
    pdu: leave.pdu,
    membership: 'leave',
    roomVersion: version.id,
    viaServers: m.viaServers,
    strippedState: [],
  });
  return true;
}
