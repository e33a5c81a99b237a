import type { Requester } from '../accounts/requester.js';
import { errors, MatrixError } from '../core/errors.js';
import { isValidServerName } from '../core/ids.js';
import type { Ctx } from '../context.js';
import {
  fetchRemotePublicRooms,
  resolveRemoteAlias,
  type RemotePublicRoomsQuery,
} from '../federation/reads/remote.js';
import type { AuthEvent } from '../events/auth/check.js';
import {
  currentPowerLevels,
  requiredLevel,
  userLevel,
  type PowerLevels,
} from '../events/auth/power-levels.js';
import type { Pdu } from '../events/event-format.js';
import { sendLocalEvent } from '../events/persist.js';
import { roomVersion } from '../events/room-versions.js';
import * as events from '../events/store.js';
import { assertJoined } from './room-state.js';
import * as store from './store.js';

/**
 * Room aliases and the published room directory (spec "Room aliases", "Published room
 * directory"). Aliases are this server's only; resolving other servers' aliases and
 * listing their directories need federation.
 */

const MAX_ALIAS_BYTES = 255;

/** Parses `#localpart:server` (appendices "Room aliases"); null when malformed or too long. */
export function parseRoomAlias(alias: string): { localpart: string; serverName: string } | null {
  if (!alias.startsWith('#') || Buffer.byteLength(alias) > MAX_ALIAS_BYTES) return null;
  const colon = alias.indexOf(':');
  if (colon < 2) return null;
  const localpart = alias.slice(1, colon);
  const serverName = alias.slice(colon + 1);
  if (/[\s#\0]/.test(localpart) || !isValidServerName(serverName)) return null;
  return { localpart, serverName };
}

function parseAliasOrThrow(alias: string): { localpart: string; serverName: string } {
  const parsed = parseRoomAlias(alias);
  if (!parsed) throw errors.invalidParam(`Invalid room alias: ${alias}`);
  return parsed;
}

async function assertRoomExists(ctx: Ctx, roomId: string): Promise<void> {
  if (!(await events.getRoom(ctx.db, roomId))) throw errors.notFound(`Unknown room ${roomId}`);
}

async function stateContent(
  ctx: Ctx,
  roomId: string,
  type: string,
  stateKey = '',
): Promise<Record<string, unknown> | undefined> {
  const row = await events.getCurrentStateEventJson(ctx.db, roomId, type, stateKey);
  return row ? (JSON.parse(row.json) as Pdu).content : undefined;
}

/** The power levels in force in a room now; undefined for an unknown room. */
export async function roomPowerLevels(ctx: Ctx, roomId: string): Promise<PowerLevels | undefined> {
  const room = await events.getRoom(ctx.db, roomId);
  const version = room && roomVersion(room.room_version);
  if (!version) return undefined;
  const loaded = new Map<string, AuthEvent>();
  for (const t of ['m.room.create', 'm.room.power_levels']) {
    const row = await events.getCurrentStateEventJson(ctx.db, roomId, t, '');
    if (row) loaded.set(t, JSON.parse(row.json) as AuthEvent);
  }
  return currentPowerLevels((t, k) => (k === '' ? loaded.get(t) : undefined), version);
}

/** True when the user is joined and the power levels let them send the state event `type`. */
export async function canSendState(
  ctx: Ctx,
  roomId: string,
  userId: string,
  type: string,
): Promise<boolean> {
  const pl = await roomPowerLevels(ctx, roomId);
  if (!pl) return false;
  if ((await stateContent(ctx, roomId, 'm.room.member', userId))?.membership !== 'join') {
    return false;
  }
  return (
    userLevel(pl, userId) >= requiredLevel(pl, { type, state_key: '', sender: userId, content: {} })
  );
}

/**
 * PUT /directory/room/{roomAlias}: map a local alias to a room. The alias must be on this
 * server (400 M_INVALID_PARAM) and free (409 M_UNKNOWN, as the spec's OpenAPI gives); the
 * user must be in the room (Synapse's require_membership_for_aliases) unless a server admin.
 */
export async function createAlias(
  ctx: Ctx,
  requester: Requester,
  a: { alias: string; roomId: string },
): Promise<Record<string, never>> {
  const { serverName } = parseAliasOrThrow(a.alias);
  if (serverName !== ctx.config.serverName) {
    throw errors.invalidParam(`Aliases must be on this server (${ctx.config.serverName})`);
  }
  await assertRoomExists(ctx, a.roomId);
  if (!requester.isAdmin) await assertJoined(ctx, requester.userId, a.roomId);
  const inserted = await ctx.writer.transaction('create_alias', (tx) =>
    store.insertAlias(tx, {
      alias: a.alias,
      roomId: a.roomId,
      creator: requester.userId,
      createdTs: ctx.clock.now(),
    }),
  );
  if (!inserted) throw new MatrixError('M_UNKNOWN', `Room alias ${a.alias} already exists`, 409);
  return {};
}

/**
 * GET /directory/room/{roomAlias}: the room and the servers that can join it (this one).
 * Aliases of other servers are resolved by them (/query/directory, federation/reads/remote.ts).
 */
export async function resolveAlias(
  ctx: Ctx,
  alias: string,
): Promise<{ room_id: string; servers: string[] }> {
  const { serverName } = parseAliasOrThrow(alias);
  if (serverName !== ctx.config.serverName) return resolveRemoteAlias(ctx, { alias, serverName });
  const roomId = await store.getAliasRoom(ctx.db, alias);
  if (!roomId) throw errors.notFound(`Room alias ${alias} not found`);
  return { room_id: roomId, servers: [ctx.config.serverName] };
}

/**
 * DELETE /directory/room/{roomAlias}: by the alias's creator, a room member allowed to
 * send m.room.canonical_alias, or a server admin (403 otherwise). As Synapse, the alias is
 * then dropped from the room's m.room.canonical_alias when the user may change it.
 */
export async function deleteAlias(
  ctx: Ctx,
  requester: Requester,
  alias: string,
): Promise<Record<string, never>> {
  parseAliasOrThrow(alias);
  const roomId = await store.getAliasRoom(ctx.db, alias);
  if (!roomId) throw errors.notFound(`Room alias ${alias} not found`);
  const me = requester.userId;
  const mayEditCanonical = await canSendState(ctx, roomId, me, 'm.room.canonical_alias');
  const allowed =
    requester.isAdmin || mayEditCanonical || (await store.getAliasCreator(ctx.db, alias)) === me;
  if (!allowed) throw errors.forbidden('You may not delete this alias');
  await ctx.writer.transaction('delete_alias', (tx) => store.deleteAlias(tx, alias));
  if (mayEditCanonical) {
    // Best effort, as Synapse: the alias is gone even if the state cannot follow.
    await dropFromCanonicalAlias(ctx, roomId, me, alias).catch((e: unknown) => {
      if (!(e instanceof MatrixError)) throw e;
      ctx.log.warn({ roomId, alias, err: e.message }, 'canonical alias not updated');
    });
  }
  return {};
}

async function dropFromCanonicalAlias(
  ctx: Ctx,
  roomId: string,
  sender: string,
  alias: string,
): Promise<void> {
  const content = await stateContent(ctx, roomId, 'm.room.canonical_alias');
  if (!content) return;
  const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : [];
  if (content.alias !== alias && !alt.includes(alias)) return;
  const next: Record<string, unknown> = { ...content };
  if (next.alias === alias) delete next.alias;
  if (Array.isArray(content.alt_aliases)) next.alt_aliases = alt.filter((x) => x !== alias);
  await sendLocalEvent(ctx, {
    roomId,
    type: 'm.room.canonical_alias',
    stateKey: '',
    sender,
    content: next,
  });
}

/** GET /rooms/{roomId}/aliases: the local aliases of a room, for its members. */
export async function listRoomAliases(
  ctx: Ctx,
  requester: Requester,
  roomId: string,
): Promise<{ aliases: string[] }> {
  await assertRoomExists(ctx, roomId);
  const readable =
    (await stateContent(ctx, roomId, 'm.room.history_visibility'))?.history_visibility ===
    'world_readable';
  if (!readable && !requester.isAdmin) await assertJoined(ctx, requester.userId, roomId);
  return { aliases: await store.getRoomAliases(ctx.db, roomId) };
}

/** GET /directory/list/room/{roomId} */
export async function getVisibility(
  ctx: Ctx,
  roomId: string,
): Promise<{ visibility: 'public' | 'private' }> {
  const room = await events.getRoom(ctx.db, roomId);
  if (!room) throw errors.notFound(`Unknown room ${roomId}`);
  return { visibility: room.is_public ? 'public' : 'private' };
}

/**
 * PUT /directory/list/room/{roomId}: publish or unpublish a room, by a member allowed to
 * send m.room.canonical_alias or a server admin (403 otherwise; 404 for unknown rooms).
 */
export async function setVisibility(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; visibility: 'public' | 'private' },
): Promise<Record<string, never>> {
  await assertRoomExists(ctx, a.roomId);
  if (
    !requester.isAdmin &&
    !(await canSendState(ctx, a.roomId, requester.userId, 'm.room.canonical_alias'))
  ) {
    throw errors.forbidden('You may not change the directory visibility of this room');
  }
  await ctx.writer.transaction('set_room_visibility', (tx) =>
    store.setRoomPublic(tx, a.roomId, a.visibility === 'public'),
  );
  return {};
}

export interface PublicRoomChunk {
  room_id: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  room_type?: string;
  join_rule: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
}

/** A room as the directory (and the space hierarchy) summarises it. */
export async function publicRoomChunk(ctx: Ctx, roomId: string): Promise<PublicRoomChunk> {
  const state = new Map<string, Record<string, unknown>>();
  let joined = 0;
  for (const row of await events.getCurrentStateJson(ctx.db, roomId)) {
    const pdu = JSON.parse(row.json) as Pdu;
    if (pdu.type === 'm.room.member') {
      if (pdu.content.membership === 'join') joined++;
    } else if (pdu.state_key === '') {
      state.set(pdu.type, pdu.content);
    }
  }
  const str = (type: string, key: string): string | undefined => {
    const v = state.get(type)?.[key];
    return typeof v === 'string' ? v : undefined;
  };
  const optional: Record<string, string | undefined> = {
    name: str('m.room.name', 'name'),
    topic: str('m.room.topic', 'topic'),
    canonical_alias: str('m.room.canonical_alias', 'alias'),
    avatar_url: str('m.room.avatar', 'url'),
    room_type: str('m.room.create', 'type'),
  };
  return {
    room_id: roomId,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    join_rule: str('m.room.join_rules', 'join_rule') ?? 'invite',
    num_joined_members: joined,
    world_readable: str('m.room.history_visibility', 'history_visibility') === 'world_readable',
    guest_can_join: str('m.room.guest_access', 'guest_access') === 'can_join',
  };
}

const DEFAULT_LIMIT = 100;

/**
 * GET and POST /publicRooms: the published rooms, most joined members first (then room
 * id, for a stable order), filtered by a case-insensitive search of name, topic and
 * canonical alias and by room type. `since` is an offset token (`o<n>`); next_batch and
 * prev_batch page forward and back. Another server's directory is asked of it
 * (federation/reads/remote.ts) and passed on.
 */
export async function listPublicRooms(
  ctx: Ctx,
  a: RemotePublicRoomsQuery & { server?: string | undefined },
): Promise<{
  chunk: PublicRoomChunk[];
  total_room_count_estimate: number;
  next_batch?: string;
  prev_batch?: string;
}> {
  if (a.server !== undefined && a.server !== ctx.config.serverName) {
    if (!isValidServerName(a.server)) throw errors.invalidParam(`Invalid server name: ${a.server}`);
    const { server, ...query } = a;
    return fetchRemotePublicRooms(ctx, server, query);
  }
  let offset = 0;
  if (a.since !== undefined) {
    const m = /^o(\d{1,9})$/.exec(a.since);
    if (!m) throw errors.invalidParam(`Invalid pagination token: ${a.since}`);
    offset = Number(m[1]);
  }
  const limit = a.limit !== undefined && a.limit > 0 ? a.limit : DEFAULT_LIMIT;
  const term = a.searchTerm?.trim().toLowerCase();
  let rooms = await Promise.all(
    (await store.getPublicRoomIds(ctx.db)).map((id) => publicRoomChunk(ctx, id)),
  );
  if (term) {
    rooms = rooms.filter((r) =>
      [r.name, r.topic, r.canonical_alias].some((f) => f?.toLowerCase().includes(term)),
    );
  }
  if (a.roomTypes) {
    const types = a.roomTypes;
    rooms = rooms.filter((r) => types.includes(r.room_type ?? null));
  }
  rooms.sort(
    (x, y) => y.num_joined_members - x.num_joined_members || (x.room_id < y.room_id ? -1 : 1),
  );
  const chunk = rooms.slice(offset, offset + limit);
  return {
    chunk,
    total_room_count_estimate: rooms.length,
    ...(offset + limit < rooms.length ? { next_batch: `o${offset + limit}` } : {}),
    ...(offset > 0 ? { prev_batch: `o${Math.max(0, offset - limit)}` } : {}),
  };
}
