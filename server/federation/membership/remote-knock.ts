import { getProfile } from '../../accounts/profile.js';
import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { allRoomVersions } from '../../events/room-versions.js';
import { callRemote } from './remote-call.js';
import { recordRemoteMembership, toStrippedState } from './remote-memberships.js';
import { signMemberTemplate } from './remote-leave.js';
import { isObject } from '../../core/is-object.js';

/**
 * Knocking on a room of another server for a local user (server-server "Knocking upon a
 * room"; client-server POST /knock for a room this server is not in): make_knock (with
 * every room version this server implements as `ver`) and send_knock through the first
 * server that answers, then the knock is recorded as a remote membership with the
 * knock_room_state it was answered with, which /sync shows under rooms.knock.
 */

/** The servers to try: those the client named, then the room id's own (v1-v11 ids name one). */
function candidates(ctx: Ctx, roomId: string, via: readonly string[]): string[] {
  const colon = roomId.indexOf(':');
  const own = colon > 0 ? [roomId.slice(colon + 1)] : [];
  return [...new Set([...via, ...own])].filter((s) => s !== ctx.config.serverName);
}

/** The display name and avatar of a local user, for their member event (as Synapse). */
async function profileContent(ctx: Ctx, userId: string): Promise<Record<string, unknown>> {
  const p = await getProfile(ctx, userId);
  return {
    ...(typeof p.displayname === 'string' ? { displayname: p.displayname } : {}),
    ...(typeof p.avatar_url === 'string' ? { avatar_url: p.avatar_url } : {}),
  };
}

/**
 * Knocks on `roomId` for `userId` through `via` (or the room id's server).
 * @throws MatrixError 404 when no server is known to ask; the last server's refusal (403
 *   not a knock room, banned; 400 M_INCOMPATIBLE_ROOM_VERSION), or 502 when none can be
 *   reached.
 */
export async function knockRemoteRoom(
  ctx: Ctx,
  a: { roomId: string; userId: string; via: readonly string[]; reason?: string | undefined },
): Promise<void> {
  const servers = candidates(ctx, a.roomId, a.via);
  if (!servers.length) throw errors.notFound(`No server to knock on room ${a.roomId} through`);
  const ver = allRoomVersions()
    .filter((v) => v.knockJoinRule)
    .map((v) => `ver=${encodeURIComponent(v.id)}`)
    .join('&');
  const content = {
    ...(await profileContent(ctx, a.userId)),
    ...(a.reason !== undefined ? { reason: a.reason } : {}),
  };
  let last: MatrixError | null = null;
  for (const server of servers) {
    try {
      const made = await callRemote(ctx, server, {
        method: 'GET',
        path: `/_matrix/federation/v1/make_knock/${encodeURIComponent(a.roomId)}/${encodeURIComponent(a.userId)}?${ver}`,
      });
      const { version, built } = signMemberTemplate(ctx, {
        server,
        body: made.body,
        roomId: a.roomId,
        userId: a.userId,
        membership: 'knock',
        content,
      });
      const sent = await callRemote(ctx, server, {
        method: 'PUT',
        path: `/_matrix/federation/v1/send_knock/${encodeURIComponent(a.roomId)}/${encodeURIComponent(built.eventId)}`,
        body: built.pdu,
      });
      const state = isObject(sent.body) ? sent.body.knock_room_state : undefined;
      await recordRemoteMembership(ctx, {
        userId: a.userId,
        roomId: a.roomId,
        eventId: built.eventId,
        pdu: built.pdu,
        membership: 'knock',
        roomVersion: version.id,
        viaServers: [server],
        strippedState: toStrippedState(state).filter(
          (e) => !(e.type === 'm.room.member' && e.state_key === a.userId),
        ),
      });
      return;
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      last = err;
      ctx.log.info(
        { roomId: a.roomId, server, errcode: err.errcode },
        'knock through server failed',
      );
    }
  }
  throw last!;
}
