import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';
import type { Pdu } from '../../events/event-format.js';
import { roomVersion, type RoomVersion } from '../../events/room-versions.js';
import { splitStateKeyId, type StateMap } from '../../events/state-map.js';
import * as events from '../../events/store.js';
import { assertServerAllowed } from '../acl.js';

/**
 * What the resident side of a join (make_join, send_join) checks first, for a request of
 * `origin` about `userId` in `roomId`: the user is of the requesting server, the room is
 * known here and this server is still in it (else its state may be stale, and another
 * server should be asked), and the room's server ACL admits the requester.
 */

const MEMBER = 'm.room.member';

/**
 * The room's version, once the request passed the checks above.
 * @throws MatrixError 403 M_FORBIDDEN (user of another server, ACL), 404 M_NOT_FOUND
 *   (unknown room, or this server is no longer in it).
 */
export async function residentRoom(
  ctx: Ctx,
  a: { origin: string; roomId: string; userId: string },
): Promise<RoomVersion> {
  const user = parseUserId(a.userId);
  if (!user) throw errors.invalidParam(`Invalid user id ${a.userId}`);
  if (user.serverName !== a.origin) {
    throw errors.forbidden(`${a.userId} is not a user of ${a.origin}`);
  }
  const room = await events.getRoom(ctx.db, a.roomId);
  const version = room && roomVersion(room.room_version);
  if (!version) throw errors.notFound(`Unknown room ${a.roomId}`);
  await assertServerAllowed(ctx, a.roomId, a.origin);
  if (!(await hasLocalJoinedMember(ctx, a.roomId))) {
    throw errors.notFound(`This server is no longer in room ${a.roomId}`);
  }
  return version;
}

/** Whether a user of this server is joined to the room (current state). */
export async function hasLocalJoinedMember(ctx: Ctx, roomId: string): Promise<boolean> {
  return (await localJoinedMembers(ctx, roomId, 1)).length > 0;
}

/** Up to `limit` users of this server joined to the room, in state order. */
export async function localJoinedMembers(
  ctx: Ctx,
  roomId: string,
  limit = Infinity,
): Promise<string[]> {
  const suffix = `:${ctx.config.serverName}`;
  const out: string[] = [];
  for (const row of await events.getCurrentState(ctx.db, roomId)) {
    if (row.type !== MEMBER || !row.state_key.endsWith(suffix)) continue;
    const json = await events.getEventJson(ctx.db, row.event_id);
    if (json && (JSON.parse(json) as Pdu).content.membership === 'join') out.push(row.state_key);
    if (out.length >= limit) break;
  }
  return out;
}

/** The servers of the joined members of `state` (servers_in_room of send_join). */
export async function serversInState(ctx: Ctx, state: StateMap): Promise<string[]> {
  const memberIds = [...state]
    .filter(([k]) => splitStateKeyId(k)[0] === MEMBER)
    .map(([, id]) => id);
  const json = await events.getEventJsonMany(ctx.db, memberIds);
  const servers = new Set<string>();
  for (const j of json.values()) {
    const pdu = JSON.parse(j) as Pdu;
    const server = pdu.state_key ? parseUserId(pdu.state_key)?.serverName : undefined;
    if (server && pdu.content.membership === 'join') servers.add(server);
  }
  return [...servers].sort();
}

/** 400 M_INCOMPATIBLE_ROOM_VERSION naming the room's version (spec make_join). */
export function incompatibleVersion(version: string): MatrixError {
  return new MatrixError(
    'M_INCOMPATIBLE_ROOM_VERSION',
    `Your homeserver does not support the features required to join this room (version ${version})`,
    400,
    { room_version: version },
  );
}
