import type { Requester } from '../accounts/requester.js';
import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import type { Pdu } from '../events/event-format.js';
import { roomVersion, type RoomVersion } from '../events/room-versions.js';
import * as events from '../events/store.js';
import { membershipOf } from './room-state.js';
import { publicRoomChunk, type PublicRoomChunk } from './directory.js';
import { allowListRoomIds, isRestrictedJoinRule } from './join-rules.js';
import { fetchRemoteHierarchy } from '../federation/reads/remote.js';

/**
 * GET /rooms/{roomId}/hierarchy (spec "Spaces", space_hierarchy.yaml): the space tree
 * under a room, depth first as the spec and Synapse walk it, following the valid
 * m.space.child events of space rooms in the spec's child order. Rooms this server is not
 * in are summarised by the servers their m.space.child names (GET /hierarchy over
 * federation, federation/reads/remote.ts), which also summarise their children.
 */

export interface ChildStateEvent {
  type: 'm.space.child';
  state_key: string;
  content: Record<string, unknown>;
  sender: string;
  origin_server_ts: number;
}

export interface HierarchyRoom extends PublicRoomChunk {
  room_version: string;
  encryption?: string;
  allowed_room_ids?: string[];
  children_state: ChildStateEvent[];
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
/** Spec "Ordering of children within a space": `order` is up to 50 printable ASCII chars. */
const ORDER_RE = /^[\x20-\x7E]{1,50}$/;

interface Walk {
  roomId: string;
  maxDepth: number | null;
  suggestedOnly: boolean;
  /** Rooms already returned by earlier pages. */
  skip: number;
}

/** Throws 404 for an unknown root, 403 when the user may not see it, 400 for a bad token. */
export async function getHierarchy(
  ctx: Ctx,
  requester: Requester,
  a: {
    roomId: string;
    suggestedOnly: boolean;
    limit?: number | undefined;
    maxDepth?: number | undefined;
    from?: string | undefined;
  },
): Promise<{ rooms: HierarchyRoom[]; next_batch?: string }> {
  const walk: Walk = {
    roomId: a.roomId,
    maxDepth: a.maxDepth ?? null,
    suggestedOnly: a.suggestedOnly,
    skip: 0,
  };
  if (a.from !== undefined) walk.skip = decodeToken(a.from, walk);
  const limit = Math.min(a.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  if (!(await events.getRoom(ctx.db, a.roomId))) throw errors.notFound(`Unknown room ${a.roomId}`);

  const rooms: HierarchyRoom[] = [];
  const seen = new Set<string>();
  const stack: { roomId: string; depth: number; via: readonly string[] }[] = [
    { roomId: a.roomId, depth: 0, via: [] },
  ];
  // Summaries of rooms on other servers that came with their parent's answer.
  const prefetched = new Map<string, HierarchyRoom>();
  let passed = 0;
  let more = false;
  while (stack.length) {
    const { roomId, depth, via } = stack.pop()!;
    if (seen.has(roomId)) continue;
    seen.add(roomId);
    const room = await loadRoom(ctx, roomId);
    let summary: () => Promise<HierarchyRoom>;
    let children: ChildStateEvent[];
    if (room) {
      if (!(await mayPreview(ctx, requester.userId, room))) {
        if (roomId === a.roomId) throw errors.forbidden(`You may not preview room ${roomId}`);
        continue;
      }
      children = room.isSpace ? childEvents(room.state) : [];
      const kids = children;
      summary = () => summarise(ctx, room, kids);
    } else {
      // A room this server is not in: its summary from the servers its parent names.
      const remote =
        prefetched.get(roomId) ??
        (await remoteRoom(ctx, { roomId, via, suggestedOnly: walk.suggestedOnly }, prefetched));
      if (!remote || !(await mayPreviewRemote(ctx, requester.userId, remote))) continue;
      children = remote.room_type === 'm.space' ? remote.children_state : [];
      summary = () => Promise.resolve(remote);
    }
    if (passed++ >= walk.skip) {
      // One visible room past the page says whether there is a next page.
      if (rooms.length === limit) {
        more = true;
        break;
      }
      rooms.push(await summary());
    }
    if (walk.maxDepth !== null && depth >= walk.maxDepth) continue;
    const followed = walk.suggestedOnly
      ? children.filter((c) => c.content.suggested === true)
      : children;
    for (const child of [...followed].reverse()) {
      stack.push({ roomId: child.state_key, depth: depth + 1, via: viaOf(child) });
    }
  }
  return more
    ? { rooms, next_batch: encodeToken({ ...walk, skip: walk.skip + limit }) }
    : { rooms };
}

export interface LoadedRoom {
  roomId: string;
  version: RoomVersion;
  /** Current state by "type|state_key". */
  state: Map<string, Pdu>;
  isSpace: boolean;
}

export async function loadRoom(ctx: Ctx, roomId: string): Promise<LoadedRoom | undefined> {
  const row = await events.getRoom(ctx.db, roomId);
  const version = row && roomVersion(row.room_version);
  if (!version) return undefined;
  const state = new Map<string, Pdu>();
  for (const r of await events.getCurrentStateJson(ctx.db, roomId)) {
    const pdu = JSON.parse(r.json) as Pdu;
    state.set(`${pdu.type}|${pdu.state_key}`, pdu);
  }
  const isSpace = state.get('m.room.create|')?.content.type === 'm.space';
  return { roomId, version, state, isSpace };
}

export function content(room: LoadedRoom, type: string, stateKey = ''): Record<string, unknown> {
  return room.state.get(`${type}|${stateKey}`)?.content ?? {};
}

/**
 * Whether a user (or a server) that is neither joined nor invited may see a room's summary
 * (space_hierarchy.yaml `rooms`): a public or knockable room; a world_readable one; a
 * restricted one whose allow list names a room `joinedTo` says they are in.
 */
export async function previewableBy(
  room: LoadedRoom,
  joinedTo: (roomId: string) => Promise<boolean>,
): Promise<boolean> {
  const joinRule = content(room, 'm.room.join_rules').join_rule;
  if (joinRule === 'public') return true;
  if (room.version.knockJoinRule && joinRule === 'knock') return true;
  if (room.version.knockRestrictedJoinRule && joinRule === 'knock_restricted') return true;
  if (content(room, 'm.room.history_visibility').history_visibility === 'world_readable') {
    return true;
  }
  if (isRestrictedJoinRule(room.version, joinRule)) {
    for (const allowed of allowListRoomIds(content(room, 'm.room.join_rules'))) {
      if (await joinedTo(allowed)) return true;
    }
  }
  return false;
}

/** Whether the user may see a room's summary: joined, invited, or previewableBy. */
async function mayPreview(ctx: Ctx, userId: string, room: LoadedRoom): Promise<boolean> {
  const membership = content(room, 'm.room.member', userId).membership;
  if (membership === 'join' || membership === 'invite') return true;
  return previewableBy(room, async (id) => (await membershipOf(ctx, id, userId)) === 'join');
}

/**
 * A space's valid m.space.child events (a non-empty `via` of strings), in the spec's order:
 * those with a valid `order` first by it, then by origin_server_ts, then by room id.
 */
export function childEvents(state: Map<string, Pdu>): ChildStateEvent[] {
  const children: ChildStateEvent[] = [];
  for (const pdu of state.values()) {
    if (pdu.type !== 'm.space.child' || pdu.state_key === undefined) continue;
    const via = pdu.content.via;
    if (!Array.isArray(via) || !via.length || !via.every((v) => typeof v === 'string')) continue;
    children.push({
      type: 'm.space.child',
      state_key: pdu.state_key,
      content: pdu.content,
      sender: pdu.sender,
      origin_server_ts: pdu.origin_server_ts,
    });
  }
  const order = (c: ChildStateEvent): string | undefined =>
    typeof c.content.order === 'string' && ORDER_RE.test(c.content.order)
      ? c.content.order
      : undefined;
  return children.sort((x, y) => {
    const ox = order(x);
    const oy = order(y);
    if (ox !== undefined && oy !== undefined && ox !== oy) return ox < oy ? -1 : 1;
    if ((ox === undefined) !== (oy === undefined)) return ox !== undefined ? -1 : 1;
    if (x.origin_server_ts !== y.origin_server_ts) return x.origin_server_ts - y.origin_server_ts;
    return x.state_key < y.state_key ? -1 : x.state_key > y.state_key ? 1 : 0;
  });
}

export async function summarise(
  ctx: Ctx,
  room: LoadedRoom,
  children: ChildStateEvent[],
): Promise<HierarchyRoom> {
  const algorithm = content(room, 'm.room.encryption').algorithm;
  const joinRules = content(room, 'm.room.join_rules');
  const allowed = isRestrictedJoinRule(room.version, joinRules.join_rule)
    ? allowListRoomIds(joinRules)
    : [];
  return {
    ...(await publicRoomChunk(ctx, room.roomId)),
    room_version: room.version.id,
    ...(typeof algorithm === 'string' ? { encryption: algorithm } : {}),
    ...(allowed.length ? { allowed_room_ids: allowed } : {}),
    children_state: children,
  };
}

/**
 * The `from` token: the walk's parameters and how many rooms earlier pages returned,
 * as opaque base64url JSON. A page re-walks the tree and skips what was returned, so a
 * token needs no server-side session; the spec forbids changing max_depth or
 * suggested_only between pages, and a token for another room is refused too.
 */
function encodeToken(w: Walk): string {
  return Buffer.from(JSON.stringify([w.roomId, w.maxDepth, w.suggestedOnly, w.skip])).toString(
    'base64url',
  );
}

function decodeToken(token: string, expected: Walk): number {
  const bad = errors.invalidParam('Unknown or invalid pagination token');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw bad;
  const [roomId, maxDepth, suggestedOnly, skip] = parsed as unknown[];
  if (!Number.isInteger(skip) || (skip as number) < 0) throw bad;
  if (roomId !== expected.roomId) throw bad;
  if (maxDepth !== expected.maxDepth || suggestedOnly !== expected.suggestedOnly) {
    throw errors.invalidParam('max_depth and suggested_only cannot change between pages');
  }
  return skip as number;
}

/** The servers an m.space.child names (childEvents keeps only those with a valid `via`). */
function viaOf(child: ChildStateEvent): string[] {
  return (child.content.via as string[]).slice();
}

/**
 * The summary of a room on other servers, as HierarchyRoom, with its children_state
 * narrowed to valid m.space.child events; the summaries of its children that came along
 * go into `prefetched`. Undefined when no server could tell.
 */
async function remoteRoom(
  ctx: Ctx,
  a: { roomId: string; via: readonly string[]; suggestedOnly: boolean },
  prefetched: Map<string, HierarchyRoom>,
): Promise<HierarchyRoom | undefined> {
  const found = await fetchRemoteHierarchy(ctx, a);
  if (!found) return undefined;
  for (const child of found.children) {
    if (!prefetched.has(child.room_id)) prefetched.set(child.room_id, asHierarchyRoom(child));
  }
  return asHierarchyRoom(found.room);
}

function asHierarchyRoom(summary: Record<string, unknown>): HierarchyRoom {
  const children = Array.isArray(summary.children_state) ? summary.children_state : [];
  return {
    ...(summary as unknown as HierarchyRoom),
    children_state: children.filter(
      (c): c is ChildStateEvent =>
        typeof c === 'object' &&
        c !== null &&
        (c as ChildStateEvent).type === 'm.space.child' &&
        typeof (c as ChildStateEvent).state_key === 'string' &&
        Array.isArray((c as ChildStateEvent).content?.via) &&
        ((c as ChildStateEvent).content.via as unknown[]).length > 0 &&
        ((c as ChildStateEvent).content.via as unknown[]).every((v) => typeof v === 'string'),
    ),
  };
}

/**
 * Whether the user may see a summary another server gave (it already left out what this
 * server may not see): a restricted room only when the user is joined to a room of its
 * allow list (space_hierarchy.yaml: the requesting server filters by allowed_room_ids).
 */
async function mayPreviewRemote(ctx: Ctx, userId: string, room: HierarchyRoom): Promise<boolean> {
  const rule = room.join_rule;
  if (rule !== 'restricted' && rule !== 'knock_restricted') return true;
  for (const allowed of room.allowed_room_ids ?? []) {
    if ((await membershipOf(ctx, allowed, userId)) === 'join') return true;
  }
  return rule === 'knock_restricted';
}
