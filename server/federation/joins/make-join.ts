import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { authEventsNeeded, checkEventAuth, type AuthEvent } from '../../events/auth/check.js';
import type { EventRef } from '../../events/build.js';
import { parsedStateEvents } from '../../events/room-heads.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { loadStateGroup } from '../../events/state-groups.js';
import { stateKeyId } from '../../events/state-map.js';
import { incompatibleVersion, residentRoom } from './resident-room.js';
import { remoteJoinAuthoriser } from './restricted.js';

/**
 * The resident side of the first step of a remote join (spec server-server "Joining
 * Rooms", GET /make_join): a join event template for a user of the requesting server, built
 * on this server's forward extremities, with the auth events the rules want, and checked
 * against the room's current state, so a join that would be refused is refused now.
 */

export interface JoinTemplate {
  room_version: string;
  /** The event without hashes, signatures (and event id): the joining server adds them. */
  event: Record<string, unknown>;
}

/**
 * The make_join answer for `userId` (of `origin`) in `roomId`; `versions` are the room
 * versions the requesting server supports (`ver`, default ["1"]).
 * @throws MatrixError 404 (unknown room), 403 (other server's user, ACL, banned, not
 *   invited...), 400 M_INCOMPATIBLE_ROOM_VERSION, and the restricted-room errors.
 */
export async function makeJoinTemplate(
  ctx: Ctx,
  a: { origin: string; roomId: string; userId: string; versions: readonly string[] },
): Promise<JoinTemplate> {
  const version = await residentRoom(ctx, a);
  if (!a.versions.includes(version.id)) throw incompatibleVersion(version.id);
  const authoriser = await remoteJoinAuthoriser(ctx, version, a.roomId, a.userId);
  const content: Record<string, unknown> = {
    membership: 'join',
    ...(authoriser ? { join_authorised_via_users_server: authoriser } : {}),
  };
  return ctx.roomQueue.run(a.roomId, () => buildTemplate(ctx, version, a, content));
}

/** In the room's queue: the template on the room's head, refused unless the rules allow it. */
async function buildTemplate(
  ctx: Ctx,
  version: RoomVersion,
  a: { roomId: string; userId: string },
  content: Record<string, unknown>,
): Promise<JoinTemplate> {
  const head = await ctx.roomHeads.get(ctx.db, a.roomId, (g) => loadStateGroup(ctx, g));
  const draft: AuthEvent = {
    type: 'm.room.member',
    state_key: a.userId,
    sender: a.userId,
    room_id: a.roomId,
    content,
  };
  // A join's sender is its target: its member event is needed once, listed once.
  const authIds = [
    ...new Set(
      authEventsNeeded(draft, version)
        .map(([t, k]) => head.state.get(stateKeyId(t, k)))
        .filter((id): id is string => id !== undefined),
    ),
  ];
  const createId = head.state.get(stateKeyId('m.room.create', ''));
  const parsed = await parsedStateEvents(ctx.db, head, createId ? [createId, ...authIds] : authIds);
  const byKey = new Map<string, AuthEvent>();
  for (const { event } of parsed.values()) {
    byKey.set(stateKeyId(event.type, event.state_key ?? ''), event);
  }
  // The authoriser's signature is added in send_join: the template counts it as given.
  const verdict = checkEventAuth(draft, (t, k) => byKey.get(stateKeyId(t, k)), version, {
    signedBy: () => true,
  });
  if (!verdict.ok) throw errors.forbidden(`${verdict.reason} (authorization rule ${verdict.rule})`);
  const authRefs = authIds.map((id) => ({ eventId: id, sha256: parsed.get(id)!.sha256 }));
  return {
    room_version: version.id,
    event: {
      type: 'm.room.member',
      room_id: a.roomId,
      sender: a.userId,
      state_key: a.userId,
      content,
      origin: ctx.config.serverName,
      origin_server_ts: ctx.clock.now(),
      depth: head.depth + 1,
      prev_events: references(version, head.prevEvents),
      auth_events: references(version, authRefs),
    },
  };
}

/** References in the room version's format: `[id, {sha256}]` pairs in v1/v2, ids after. */
function references(version: RoomVersion, refs: readonly EventRef[]): unknown[] {
  return version.eventIdFormat === 'server'
    ? refs.map((r) => [r.eventId, { sha256: r.sha256 }])
    : refs.map((r) => r.eventId);
}
