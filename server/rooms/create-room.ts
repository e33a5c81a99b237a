import { getProfile } from '../accounts/profile.js';
import type { Requester } from '../accounts/requester.js';
import { errors, MatrixError } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { Ctx } from '../context.js';
import { createRoomWithCreateEvent, sendLocalEvent } from '../events/persist.js';
import { roomVersion, type RoomVersion } from '../events/room-versions.js';
import { inviteRemoteUser } from '../federation/membership/send-invite.js';
import * as store from './store.js';

/**
 * POST /createRoom (spec client-server "Creation"): the events of a new room in the
 * order the spec gives — create, the creator's join, power levels, canonical alias,
 * the preset's join rules / history visibility / guest access, initial_state, name and
 * topic, then invites — each through the persist path, so each is authorized like any
 * other event. Everything a client can get wrong is checked before the first event.
 */

export type Preset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

export interface CreateRoomBody {
  visibility?: 'public' | 'private' | undefined;
  room_alias_name?: string | undefined;
  name?: string | undefined;
  topic?: string | undefined;
  invite?: string[] | undefined;
  room_version?: string | undefined;
  creation_content?: Record<string, unknown> | undefined;
  initial_state?:
    | { type: string; state_key?: string | undefined; content: Record<string, unknown> }[]
    | undefined;
  preset?: Preset | undefined;
  is_direct?: boolean | undefined;
  power_level_content_override?: Record<string, unknown> | undefined;
}

const PRESETS: Record<Preset, { joinRule: string; guestAccess: string }> = {
  private_chat: { joinRule: 'invite', guestAccess: 'can_join' },
  trusted_private_chat: { joinRule: 'invite', guestAccess: 'can_join' },
  public_chat: { joinRule: 'public', guestAccess: 'forbidden' },
};

/** Alias localparts: no ':' (it separates the server), no whitespace, no '#'. */
const ALIAS_LOCALPART_RE = /^[^\s:#]+$/;

export async function createRoom(
  ctx: Ctx,
  requester: Requester,
  body: CreateRoomBody,
): Promise<{ room_id: string; room_alias?: string }> {
  const retry = ctx.rateLimiter.take(
    `create-room:${requester.userId}`,
    ctx.config.rateLimits.roomCreation,
  );
  if (retry) throw errors.limitExceeded(retry);
  const version = roomVersion(body.room_version ?? ctx.config.defaultRoomVersion);
  if (!version) {
    throw new MatrixError(
      'M_UNSUPPORTED_ROOM_VERSION',
      `This server does not support room version ${body.room_version}`,
      400,
    );
  }
  const preset = body.preset ?? (body.visibility === 'public' ? 'public_chat' : 'private_chat');
  const invites = [...new Set(body.invite ?? [])];
  for (const u of invites) {
    if (!parseUserId(u)) throw errors.invalidParam(`Invalid user id in invite: ${u}`);
  }
  const alias = body.room_alias_name === undefined ? null : aliasFor(ctx, body.room_alias_name);
  if (alias && (await store.getAliasRoom(ctx.db, alias))) {
    throw new MatrixError('M_ROOM_IN_USE', `The alias ${alias} is already in use`, 400);
  }
  for (const s of body.initial_state ?? []) {
    if (s.type === 'm.room.create' || s.type === 'm.room.member') {
      throw errors.badJson(`initial_state may not hold ${s.type}`);
    }
  }
  const trusted = preset === 'trusted_private_chat';
  const creators = version.privilegedCreators && trusted ? invites : [];
  const creationContent = { ...body.creation_content };
  if (creators.length) {
    const extra = Array.isArray(creationContent.additional_creators)
      ? creationContent.additional_creators
      : [];
    creationContent.additional_creators = [...new Set([...extra, ...creators])];
  }

  const me = requester.userId;
  const { roomId } = await createRoomWithCreateEvent(ctx, {
    version,
    sender: me,
    content: creationContent,
  });
  const send = (type: string, content: Record<string, unknown>, stateKey = '') =>
    sendLocalEvent(ctx, { roomId, type, stateKey, sender: me, content });
  const profile = await getProfile(ctx, me);
  await send('m.room.member', { membership: 'join', ...displayFields(profile) }, me);
  await send(
    'm.room.power_levels',
    powerLevels(version, me, trusted ? invites : [], preset, body.power_level_content_override),
  );
  if (alias) {
    await ctx.writer.transaction('create_room_alias', async (tx) => {
      if (
        !(await store.insertAlias(tx, { alias, roomId, creator: me, createdTs: ctx.clock.now() }))
      ) {
        throw new MatrixError('M_ROOM_IN_USE', `The alias ${alias} is already in use`, 400);
      }
    });
    await send('m.room.canonical_alias', { alias });
  }
  await send('m.room.join_rules', { join_rule: PRESETS[preset].joinRule });
  await send('m.room.history_visibility', { history_visibility: 'shared' });
  await send('m.room.guest_access', { guest_access: PRESETS[preset].guestAccess });
  for (const s of body.initial_state ?? []) await send(s.type, s.content, s.state_key ?? '');
  if (body.name !== undefined) await send('m.room.name', { name: body.name });
  if (body.topic !== undefined) {
    await send('m.room.topic', {
      topic: body.topic,
      'm.topic': [{ body: body.topic, mimetype: 'text/plain' }],
    });
  }
  for (const user of invites) {
    const content = { membership: 'invite', ...(body.is_direct ? { is_direct: true } : {}) };
    // A user of another server hears of the invite only through their server, which signs
    // it first (as POST /invite does); a local event alone would never reach them.
    if (parseUserId(user)!.serverName !== ctx.config.serverName) {
      await inviteRemoteUser(ctx, { roomId, sender: me, target: user, content });
    } else await send('m.room.member', content, user);
  }
  if (body.visibility === 'public') {
    await ctx.writer.transaction('publish_room', (tx) => store.setRoomPublic(tx, roomId, true));
  }
  ctx.log.info({ roomId, version: version.id, preset, creator: me }, 'room created');
  return alias ? { room_id: roomId, room_alias: alias } : { room_id: roomId };
}

function aliasFor(ctx: Ctx, localpart: string): string {
  if (!ALIAS_LOCALPART_RE.test(localpart)) {
    throw errors.invalidParam('room_alias_name may not contain whitespace, ":" or "#"');
  }
  const alias = `#${localpart}:${ctx.config.serverName}`;
  if (Buffer.byteLength(alias) > 255)
    throw errors.invalidParam('The alias is longer than 255 bytes');
  return alias;
}

/** The displayname and avatar_url of a profile, for the user's own member event. */
export function displayFields(profile: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof profile.displayname === 'string') out.displayname = profile.displayname;
  if (typeof profile.avatar_url === 'string') out.avatar_url = profile.avatar_url;
  return out;
}

/**
 * The default power levels (Synapse's, which clients expect), with invite open to members
 * in private presets, trusted invitees made admins (v1-v11; v12 makes them creators), the
 * creator listed only before v12 (v12 creators are above every level), and tombstones
 * above state_default in v12 as the spec requires.
 */
function powerLevels(
  version: RoomVersion,
  creator: string,
  trustedInvitees: string[],
  preset: Preset,
  override: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const users: Record<string, number> = {};
  if (!version.privilegedCreators) {
    users[creator] = 100;
    for (const u of trustedInvitees) users[u] = 100;
  }
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': version.privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset === 'public_chat' ? 50 : 0,
    historical: 100,
    notifications: { room: 50 },
    ...override,
  };
}
