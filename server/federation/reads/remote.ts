import type { Ctx } from '../../context.js';
import { createCache, type Cache } from '../../core/cache.js';
import { MatrixError } from '../../core/errors.js';
import type { PublicRoomChunk } from '../../rooms/directory.js';
import { FederationTransportError, type FederationRequest } from '../types.js';

/**
 * What this server's clients read of other servers: profiles (/query/profile), published
 * rooms (/publicRooms) and room aliases (/query/directory), as Synapse answers them:
 * - the other server cannot be reached, fails (5xx) or answers nonsense: 502 M_UNKNOWN
 *   ("Failed to fetch ...");
 * - it answers 400, 403 or 404: the same status and errcode (a 404 is M_NOT_FOUND), so a
 *   client sees "no such user" or "denied" as the other server said it;
 * - any other status (401: it does not accept our signature yet, 429, ...) is this
 *   server's failure to fetch, not the client's: 502.
 */

const PASSED_THROUGH = new Set([400, 403, 404]);

async function ask(
  ctx: Ctx,
  destination: string,
  req: FederationRequest,
  what: string,
): Promise<Record<string, unknown>> {
  const failed = () =>
    new MatrixError('M_UNKNOWN', `Failed to fetch ${what} from ${destination}`, 502);
  let res;
  try {
    res = await ctx.federation.request(destination, { timeoutMs: 30_000, ...req });
  } catch (err) {
    if (!(err instanceof FederationTransportError)) throw err;
    ctx.log.info({ destination, reason: err.reason, err: err.message }, `${what}: unreachable`);
    throw failed();
  }
  const body = res.body;
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (res.status >= 200 && res.status < 300) {
    if (!isObject) throw failed();
    return body as Record<string, unknown>;
  }
  ctx.log.info({ destination, status: res.status }, `${what}: refused`);
  if (!PASSED_THROUGH.has(res.status)) throw failed();
  const remote = isObject ? (body as Record<string, unknown>) : {};
  const errcode =
    res.status === 404
      ? 'M_NOT_FOUND'
      : typeof remote.errcode === 'string' && /^M_[A-Z_]{1,64}$/.test(remote.errcode)
        ? remote.errcode
        : 'M_UNKNOWN';
  const message =
    typeof remote.error === 'string'
      ? remote.error.slice(0, 500)
      : `${destination} answered ${res.status} for the ${what}`;
  throw new MatrixError(errcode, message, res.status);
}

const q = encodeURIComponent;

// --- profiles

/** How long a remote profile is reused (the spec invites caching; Synapse caches too). */
const PROFILE_TTL_MS = 60_000;
const profileCaches = new WeakMap<Ctx, Cache<string, Record<string, unknown>>>();

function profileCache(ctx: Ctx): Cache<string, Record<string, unknown>> {
  let cache = profileCaches.get(ctx);
  if (!cache) {
    cache = createCache(ctx.config.caches, 'remote_profiles', 1_000, PROFILE_TTL_MS);
    profileCaches.set(ctx, cache);
  }
  return cache;
}

/**
 * The profile of a user of `serverName` (its /query/profile), reused for a minute. Only
 * string fields and null are kept for displayname and avatar_url (other servers' junk
 * stays out of clients).
 */
export async function fetchRemoteProfile(
  ctx: Ctx,
  a: { userId: string; serverName: string },
): Promise<Record<string, unknown>> {
  const cache = profileCache(ctx);
  const cached = cache.get(a.userId);
  if (cached) return cached;
  const body = await ask(
    ctx,
    a.serverName,
    { method: 'GET', path: `/_matrix/federation/v1/query/profile?user_id=${q(a.userId)}` },
    'profile',
  );
  const profile: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if ((k === 'displayname' || k === 'avatar_url') && typeof v !== 'string') continue;
    profile[k] = v;
  }
  cache.set(a.userId, profile);
  return profile;
}

// --- the published room directory

export interface RemotePublicRoomsQuery {
  limit?: number | undefined;
  since?: string | undefined;
  searchTerm?: string | undefined;
  roomTypes?: (string | null)[] | undefined;
  includeAllNetworks?: boolean | undefined;
  thirdPartyInstanceId?: string | undefined;
}

export interface PublicRoomsPage {
  chunk: PublicRoomChunk[];
  total_room_count_estimate: number;
  next_batch?: string;
  prev_batch?: string;
}

/**
 * Another server's published rooms: GET /publicRooms, or POST when the client filters
 * (the GET form has no filter). The answer must hold a `chunk` list; its entries with a
 * room_id are passed on as they are, and the paging tokens with them.
 */
export async function fetchRemotePublicRooms(
  ctx: Ctx,
  serverName: string,
  a: RemotePublicRoomsQuery,
): Promise<PublicRoomsPage> {
  const path = '/_matrix/federation/v1/publicRooms';
  const filtered = a.searchTerm !== undefined || a.roomTypes !== undefined;
  let req: FederationRequest;
  if (filtered) {
    const filter = {
      ...(a.searchTerm !== undefined ? { generic_search_term: a.searchTerm } : {}),
      ...(a.roomTypes !== undefined ? { room_types: a.roomTypes } : {}),
    };
    req = {
      method: 'POST',
      path,
      body: {
        ...(a.limit !== undefined ? { limit: a.limit } : {}),
        ...(a.since !== undefined ? { since: a.since } : {}),
        ...(a.includeAllNetworks !== undefined
          ? { include_all_networks: a.includeAllNetworks }
          : {}),
        ...(a.thirdPartyInstanceId !== undefined
          ? { third_party_instance_id: a.thirdPartyInstanceId }
          : {}),
        filter,
      },
    };
  } else {
    const params = new URLSearchParams();
    if (a.limit !== undefined) params.set('limit', String(a.limit));
    if (a.since !== undefined) params.set('since', a.since);
    if (a.includeAllNetworks !== undefined) {
      params.set('include_all_networks', String(a.includeAllNetworks));
    }
    if (a.thirdPartyInstanceId !== undefined) {
      params.set('third_party_instance_id', a.thirdPartyInstanceId);
    }
    const qs = params.toString();
    req = { method: 'GET', path: qs ? `${path}?${qs}` : path };
  }
  const body = await ask(ctx, serverName, req, 'room list');
  if (!Array.isArray(body.chunk)) {
    throw new MatrixError('M_UNKNOWN', `Failed to fetch room list from ${serverName}`, 502);
  }
  const chunk = body.chunk.filter(
    (r): r is PublicRoomChunk =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as { room_id?: unknown }).room_id === 'string',
  );
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const next = str(body.next_batch);
  const prev = str(body.prev_batch);
  return {
    chunk,
    total_room_count_estimate:
      typeof body.total_room_count_estimate === 'number'
        ? body.total_room_count_estimate
        : chunk.length,
    ...(next !== undefined ? { next_batch: next } : {}),
    ...(prev !== undefined ? { prev_batch: prev } : {}),
  };
}

// --- room aliases

/** A room alias of `serverName`, resolved by it (/query/directory). 404 when it has none. */
export async function resolveRemoteAlias(
  ctx: Ctx,
  a: { alias: string; serverName: string },
): Promise<{ room_id: string; servers: string[] }> {
  const body = await ask(
    ctx,
    a.serverName,
    { method: 'GET', path: `/_matrix/federation/v1/query/directory?room_alias=${q(a.alias)}` },
    'room alias',
  );
  const servers = Array.isArray(body.servers)
    ? body.servers.filter((s): s is string => typeof s === 'string')
    : [];
  if (typeof body.room_id !== 'string' || !body.room_id.startsWith('!')) {
    throw new MatrixError('M_UNKNOWN', `Failed to fetch room alias from ${a.serverName}`, 502);
  }
  // The alias's server can join us to the room even if it did not list itself.
  if (!servers.includes(a.serverName)) servers.push(a.serverName);
  return { room_id: body.room_id, servers };
}

// --- space hierarchies

/** A room summary of another server's /hierarchy answer, and its children's. */
export interface RemoteHierarchy {
  room: Record<string, unknown> & { room_id: string; children_state: unknown[] };
  children: (Record<string, unknown> & { room_id: string; children_state: unknown[] })[];
  inaccessibleChildren: string[];
}

const HIERARCHY_TTL_MS = 5 * 60_000;
const hierarchyCaches = new WeakMap<Ctx, Cache<string, RemoteHierarchy>>();

function isSummary(v: unknown): v is RemoteHierarchy['room'] {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { room_id?: unknown }).room_id === 'string' &&
    Array.isArray((v as { children_state?: unknown }).children_state)
  );
}

/**
 * A room of a space that this server is not in, summarised by one of `via` (its
 * m.space.child's servers, tried in turn) through GET /hierarchy, kept for a few minutes
 * (the spec invites caching; pages of one walk ask again). Undefined when none can tell.
 */
export async function fetchRemoteHierarchy(
  ctx: Ctx,
  a: { roomId: string; via: readonly string[]; suggestedOnly: boolean },
): Promise<RemoteHierarchy | undefined> {
  let cache = hierarchyCaches.get(ctx);
  if (!cache) {
    cache = createCache(ctx.config.caches, 'remote_hierarchy', 1_000, HIERARCHY_TTL_MS);
    hierarchyCaches.set(ctx, cache);
  }
  const key = `${a.roomId}\u0000${a.suggestedOnly}`;
  const known = cache.get(key);
  if (known) return known;
  for (const server of a.via.slice(0, 5)) {
    if (server === ctx.config.serverName) continue;
    let body: Record<string, unknown>;
    try {
      body = await ask(
        ctx,
        server,
        {
          method: 'GET',
          path: `/_matrix/federation/v1/hierarchy/${q(a.roomId)}?suggested_only=${a.suggestedOnly}`,
        },
        'space hierarchy',
      );
    } catch (err) {
      if (err instanceof MatrixError) continue;
      throw err;
    }
    if (!isSummary(body.room) || body.room.room_id !== a.roomId) continue;
    const found: RemoteHierarchy = {
      room: body.room,
      children: Array.isArray(body.children) ? body.children.filter(isSummary) : [],
      inaccessibleChildren: Array.isArray(body.inaccessible_children)
        ? body.inaccessible_children.filter((id): id is string => typeof id === 'string')
        : [],
    };
    cache.set(key, found);
    return found;
  }
  return undefined;
}
