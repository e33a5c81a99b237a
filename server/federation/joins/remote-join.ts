import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { isValidServerName } from '../../core/ids.js';
import { buildLocalEvent, type EventRef } from '../../events/build.js';
import { persistRemoteJoin } from '../../events/persist-join.js';
import { allRoomVersions, roomVersion, type RoomVersion } from '../../events/room-versions.js';
import * as events from '../../events/store.js';
import { parseRoomAlias } from '../../rooms/directory.js';
import { resolveRemoteAlias } from '../reads/remote.js';
import { pendingRemoteInvite } from '../membership/remote-memberships.js';
import { FederationTransportError, type FederationResponse } from '../types.js';
import { BadJoinAnswerError, checkJoinAnswer } from './check-join-answer.js';
import { hasLocalJoinedMember, incompatibleVersion } from './resident-room.js';

/**
 * The joining side of a remote join (spec server-server "Joining Rooms"; client-server
 * "Joining rooms"): a local user joins a room this server is not in. The servers to ask
 * are the client's `via` / `server_name`, the servers the alias's server named, the
 * server of the room id and, for an invite, the inviter's; each is asked in turn for a
 * template (make_join), the join is built and signed here, sent (send_join v2, v1 for
 * servers without it), the answer checked and the room stored (events/persist-join.ts).
 * The whole join is bounded in time; what a server fails at sends us to the next one.
 */

/** The whole join gives up after this long (a join of a big room is a big answer). */
const JOIN_DEADLINE_MS = 120_000;
const MAKE_JOIN_TIMEOUT_MS = 20_000;
const SEND_JOIN_TIMEOUT_MS = 90_000;
/** The most bytes of a send_join answer (a room of ~100k members). */
const MAX_SEND_JOIN_BYTES = 256 * 1024 * 1024;
/** The most servers tried for one join. */
const MAX_CANDIDATES = 10;

/**
 * The room to join and the servers to join it through: an alias of another server is
 * resolved by that server (GET /query/directory), whose servers join `via` (with the
 * alias's server itself); room ids and local aliases are returned as they are.
 * @throws MatrixError 404 M_NOT_FOUND when the alias's server does not know it or cannot
 *   be reached, 400 for a malformed alias.
 */
export async function resolveJoinTarget(
  ctx: Ctx,
  a: { roomIdOrAlias: string; via: readonly string[] },
): Promise<{ roomIdOrAlias: string; via: string[] }> {
  const alias = a.roomIdOrAlias.startsWith('#') ? parseRoomAlias(a.roomIdOrAlias) : null;
  if (!alias || alias.serverName === ctx.config.serverName) {
    return { roomIdOrAlias: a.roomIdOrAlias, via: [...a.via] };
  }
  const found = await resolveRemoteAlias(ctx, {
    alias: a.roomIdOrAlias,
    serverName: alias.serverName,
  }).catch((err: unknown) => {
    // The alias's server could not be asked: for the client, no such room.
    if (err instanceof MatrixError && err.status >= 500) {
      throw errors.notFound(
        `Room alias ${a.roomIdOrAlias} not found: ${alias.serverName} cannot be reached`,
      );
    }
    throw err;
  });
  return { roomIdOrAlias: found.room_id, via: [...a.via, ...found.servers, alias.serverName] };
}

/**
 * Whether joining `roomIdOrAlias` (after resolveJoinTarget) needs another server: a room
 * this server does not know, or is no longer in while other servers are named (`via`, or
 * the server of a pending invite).
 */
export async function needsRemoteJoin(
  ctx: Ctx,
  a: { userId: string; roomIdOrAlias: string; via: readonly string[] },
): Promise<boolean> {
  const self = ctx.config.serverName;
  if (!a.roomIdOrAlias.startsWith('!')) return false;
  if (!(await events.getRoom(ctx.db, a.roomIdOrAlias))) return true;
  // A room known here: through another server only when one is named (most joins are of
  // rooms this server is in, and skip the scan of the members below).
  const named =
    a.via.some((s) => s !== self) ||
    (await pendingRemoteInvite(ctx, a.userId, a.roomIdOrAlias)) !== undefined;
  return named && !(await hasLocalJoinedMember(ctx, a.roomIdOrAlias));
}

/**
 * Joins `userId` (local) to `roomId` through other servers: `via` (from resolveJoinTarget),
 * the inviter's server for a pending invite, the server of the room id; resolves once the
 * room and the join are stored here.
 * @throws MatrixError 404 M_NOT_FOUND (no server could be reached, or none knows the
 *   room), 403 with the resident server's reason, 400 M_INCOMPATIBLE_ROOM_VERSION.
 */
export async function joinRemoteRoom(
  ctx: Ctx,
  a: {
    userId: string;
    roomId: string;
    via: readonly string[];
    content: Record<string, unknown>;
  },
): Promise<{ room_id: string }> {
  const { roomId } = a;
  const servers = [...a.via];
  const invite = await pendingRemoteInvite(ctx, a.userId, roomId);
  if (invite) servers.push(...invite.viaServers);
  const idServer = roomId.includes(':') ? roomId.slice(roomId.indexOf(':') + 1) : undefined;
  if (idServer) servers.push(idServer);
  const candidates = [
    ...new Set(servers.filter((s) => s !== ctx.config.serverName && isValidServerName(s))),
  ].slice(0, MAX_CANDIDATES);

  const deadline = ctx.clock.now() + JOIN_DEADLINE_MS;
  let refusal: MatrixError | undefined;
  for (const server of candidates) {
    if (ctx.clock.now() >= deadline) break;
    try {
      await joinThrough(ctx, server, { ...a, roomId, deadline });
      return { room_id: roomId };
    } catch (err) {
      if (err instanceof MatrixError && err.errcode === 'M_INCOMPATIBLE_ROOM_VERSION') throw err;
      if (err instanceof RemoteRefusal) {
        refusal ??= err.error;
        continue;
      }
      if (err instanceof FederationTransportError || err instanceof BadJoinAnswerError) {
        ctx.log.info({ roomId, server, err: err.message }, 'remote join: trying another server');
        continue;
      }
      throw err;
    }
  }
  throw (
    refusal ?? errors.notFound(`No server could be reached to join ${roomId}, or none knows it`)
  );
}

/** A resident server refused the join (403, or a 400 other than a version mismatch). */
class RemoteRefusal extends Error {
  constructor(readonly error: MatrixError) {
    super(error.message);
  }
}

/** make_join, build, send_join, check, persist: all through one server. */
async function joinThrough(
  ctx: Ctx,
  server: string,
  a: { userId: string; roomId: string; content: Record<string, unknown>; deadline: number },
): Promise<void> {
  const remaining = () => Math.max(1, a.deadline - ctx.clock.now());
  const made = await ctx.federation.request(server, {
    method: 'GET',
    path:
      `/_matrix/federation/v1/make_join/${encodeURIComponent(a.roomId)}/${encodeURIComponent(a.userId)}?` +
      allRoomVersions()
        .map((v) => `ver=${encodeURIComponent(v.id)}`)
        .join('&'),
    timeoutMs: Math.min(MAKE_JOIN_TIMEOUT_MS, remaining()),
    maxBytes: 1024 * 1024,
  });
  if (made.status !== 200) throw refusalOf(server, made);
  const { version, template } = checkTemplate(made.body, a);
  let built;
  try {
    built = buildLocalEvent(ctx, version, {
      type: 'm.room.member',
      stateKey: a.userId,
      sender: a.userId,
      roomId: a.roomId,
      content: { ...a.content, ...template.content, membership: 'join' },
      prevEvents: refsOf(template.prev_events),
      authEvents: refsOf(template.auth_events),
      depth: template.depth,
    });
  } catch (err) {
    // The template's references or depth do not make a valid event: that server's fault.
    if (err instanceof MatrixError) throw new BadJoinAnswerError(`bad template: ${err.message}`);
    throw err;
  }
  const join = { eventId: built.eventId, pdu: built.pdu };
  const path = (v: string) =>
    `/_matrix/federation/${v}/send_join/${encodeURIComponent(a.roomId)}/${encodeURIComponent(built.eventId)}`;
  const send = (v: string) =>
    ctx.federation.request(server, {
      method: 'PUT',
      path: path(v),
      body: built.pdu,
      timeoutMs: Math.min(SEND_JOIN_TIMEOUT_MS, remaining()),
      maxBytes: MAX_SEND_JOIN_BYTES,
    });
  let sent = await send('v2');
  let body = sent.body;
  if (sent.status === 404 || (sent.status === 400 && errcodeOf(sent) === 'M_UNRECOGNIZED')) {
    // A server without v2: v1 answers [200, { state, auth_chain }].
    sent = await send('v1');
    body = Array.isArray(sent.body) ? (sent.body as unknown[])[1] : undefined;
  }
  if (sent.status !== 200) throw refusalOf(server, sent);
  const checked = await checkJoinAnswer(ctx, { version, roomId: a.roomId, join, body });
  await persistRemoteJoin(ctx, {
    version,
    roomId: a.roomId,
    creator: checked.creator,
    outliers: checked.outliers,
    stateBefore: checked.stateBefore,
    join: checked.join,
  });
  ctx.log.info(
    { roomId: a.roomId, server, userId: a.userId },
    'joined a room through another server',
  );
}

interface Template {
  content: Record<string, unknown>;
  prev_events: unknown[];
  auth_events: unknown[];
  depth: number;
}

/**
 * The make_join answer, checked as the spec demands (room id, sender and state_key, type,
 * membership) and in a room version this server supports.
 */
function checkTemplate(
  body: unknown,
  a: { userId: string; roomId: string },
): { version: RoomVersion; template: Template } {
  const b = body as { room_version?: unknown; event?: Record<string, unknown> } | undefined;
  const versionId = typeof b?.room_version === 'string' ? b.room_version : '1';
  const version = roomVersion(versionId);
  if (!version) throw incompatibleVersion(versionId);
  const e = b?.event;
  const bad = (why: string) => new BadJoinAnswerError(`bad make_join template: ${why}`);
  if (!e || typeof e !== 'object') throw bad('no event');
  if (e.room_id !== a.roomId) throw bad('another room');
  if (e.sender !== a.userId || e.state_key !== a.userId) throw bad('another user');
  if (e.type !== 'm.room.member') throw bad('not a member event');
  const content = e.content as Record<string, unknown> | undefined;
  if (!content || typeof content !== 'object' || content.membership !== 'join')
    throw bad('not a join');
  if (!Array.isArray(e.prev_events) || !Array.isArray(e.auth_events)) throw bad('no references');
  if (typeof e.depth !== 'number' || !Number.isSafeInteger(e.depth)) throw bad('no depth');
  // Only what the join may carry from the template: the authoriser of a restricted join.
  const via = content.join_authorised_via_users_server;
  return {
    version,
    template: {
      content: typeof via === 'string' ? { join_authorised_via_users_server: via } : {},
      prev_events: e.prev_events,
      auth_events: e.auth_events,
      depth: e.depth,
    },
  };
}

/** Template references as EventRefs (`[id, {sha256}]` in v1/v2; bare ids after). */
function refsOf(list: unknown[]): EventRef[] {
  return list.map((r) => {
    if (typeof r === 'string') return { eventId: r, sha256: '' };
    if (Array.isArray(r) && typeof r[0] === 'string') {
      const h = r[1] as { sha256?: unknown } | undefined;
      return { eventId: r[0], sha256: typeof h?.sha256 === 'string' ? h.sha256 : '' };
    }
    throw new BadJoinAnswerError('bad make_join template: malformed references');
  });
}

function errcodeOf(res: FederationResponse): string | undefined {
  const b = res.body as { errcode?: unknown } | undefined;
  return typeof b?.errcode === 'string' ? b.errcode : undefined;
}

/**
 * What a non-200 answer means for the join: a version mismatch ends it (400
 * M_INCOMPATIBLE_ROOM_VERSION); a 403 or another 400 is that server's refusal, passed on to
 * the client if no other server lets the user in; anything else (404, 5xx, ...) only
 * sends us to the next server.
 */
function refusalOf(server: string, res: FederationResponse): Error {
  const b = res.body as { errcode?: unknown; error?: unknown; room_version?: unknown } | undefined;
  const errcode = errcodeOf(res);
  if (res.status === 400 && errcode === 'M_INCOMPATIBLE_ROOM_VERSION') {
    return incompatibleVersion(typeof b?.room_version === 'string' ? b.room_version : 'unknown');
  }
  const message =
    typeof b?.error === 'string' ? b.error.slice(0, 500) : `${server} refused the join`;
  if (res.status === 403) return new RemoteRefusal(new MatrixError('M_FORBIDDEN', message, 403));
  if (res.status === 400 && errcode && /^M_[A-Z_]{1,64}$/.test(errcode)) {
    return new RemoteRefusal(new MatrixError(errcode, message, 400));
  }
  return new BadJoinAnswerError(`${server} answered ${res.status}`);
}
