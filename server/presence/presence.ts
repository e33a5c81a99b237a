import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../core/cache.js';
import type { Requester } from '../accounts/requester.js';
import { getProfile } from '../accounts/profile.js';
import type { Ctx } from '../context.js';
import { errors, MatrixError } from '../core/errors.js';
import { isUserOf, parseUserId } from '../core/ids.js';
import { getRoomsWithMembership } from '../events/store.js';
import { positionAtCommit } from '../sync/stream-positions.js';
import {
  NEVER_SEEN,
  SYNC_ONLINE_TIMEOUT_MS,
  presenceContent,
  settle,
  settleRemote,
  visiblyDiffers,
  type PresenceContent,
  type PresenceRecord,
  type PresenceState,
} from './state.js';
import * as store from './store.js';
import { getUsersJoinedToAny } from '../rooms/store.js';
import { sendPresenceToServers } from '../federation/outgoing-edus.js';

/**
 * Presence (client-server API, "Presence"): set by PUT /presence/{userId}/status and by
 * each /sync (`set_presence`), timed out by the rules of ./state.ts. Changes clients see
 * take a position of the presence stream and wake the /sync long-polls of the user's rooms.
 * With `presence.enabled: false` nothing is tracked and everyone reads as offline.
 */

/** Timestamps alone are written at most this often per user (each write holds the writer). */
const TIMESTAMP_WRITE_INTERVAL_MS = 10_000;
/** Time-outs are looked for at most this often (they are due to the second, at best). */
const SWEEP_INTERVAL_MS = 1_000;

/** What the server holds in memory: who is syncing now, and when syncs last ended. */
interface Live {
  /** user id -> number of /sync requests in flight that count for presence */
  syncing: Map<string, number>;
  /** user id -> when their last /sync ended (the stored time is written less often) */
  syncEnded: Map<string, number>;
  /** user id -> device id -> when that device last synced asking to be online */
  onlineDevices: Map<string, Map<string, number>>;
  lastSweep: number;
  /** user id -> their stored presence row (row undefined: none), see storedRecord */
  stored: LRUCache<string, { row: PresenceRecord | undefined }>;
  /** user id -> presence writes of theirs in flight */
  writing: Map<string, number>;
}

/** Stored rows kept in memory (a few hundred bytes each). */
const MAX_STORED_ROWS = 50_000;

/** Per server (keyed by its ctx, so test servers in one process stay apart; cf. typing.ts). */
const lives = new WeakMap<Ctx, Live>();

function liveOf(ctx: Ctx): Live {
  let l = lives.get(ctx);
  if (!l)
    lives.set(
      ctx,
      (l = {
        syncing: new Map(),
        syncEnded: new Map(),
        onlineDevices: new Map(),
        lastSweep: 0,
        stored: boundedLru(MAX_STORED_ROWS),
        writing: new Map(),
      }),
    );
  return l;
}

/** A user's record at `now`, with time-outs applied and what memory knows of their syncs. */
function settleLive(ctx: Ctx, userId: string, rec: PresenceRecord, now: number): PresenceRecord {
  if (!isUserOf(userId, ctx.config.serverName)) return settleRemote(rec, now);
  const live = liveOf(ctx);
  const ended = live.syncEnded.get(userId) ?? 0;
  const seen = ended > rec.lastSyncTs ? { ...rec, lastSyncTs: ended } : rec;
  const settled = settle(seen, now, (live.syncing.get(userId) ?? 0) > 0);
  return { ...settled, lastSyncTs: Math.max(rec.lastSyncTs, settled.lastSyncTs) };
}

/** A user's record as it stands now. */
async function currentRecord(ctx: Ctx, userId: string): Promise<PresenceRecord> {
  const row = await store.getPresence(ctx.db, userId);
  const now = ctx.clock.now();
  return settleLive(ctx, userId, row ?? NEVER_SEEN, now);
}

/**
 * Applies `change` to a user's record in one writer unit. A change clients see takes the
 * next stream position and wakes the long-polls of the user and their rooms; a change of
 * timestamps alone is written only when they moved by TIMESTAMP_WRITE_INTERVAL_MS.
 */
async function updatePresence(
  ctx: Ctx,
  userId: string,
  change: (current: PresenceRecord, now: number) => PresenceRecord,
): Promise<void> {
  const plan = (held: PresenceRecord | undefined) => planPresence(ctx, userId, change, held);
  // Most syncs change nothing worth writing: decide on a copy of the stored row first.
  if (!plan(await storedRecord(ctx, userId)).write) return;
  const live = liveOf(ctx);
  live.writing.set(userId, (live.writing.get(userId) ?? 0) + 1);
  live.stored.delete(userId);
  try {
    await ctx.writer.transaction('set_presence', async (tx) => {
      const { after, bump, write } = plan(await store.getPresence(tx, userId));
      if (!write) return;
      await store.putPresence(tx, userId, after, bump);
      if (!bump) return;
      tx.afterCommit(() => {
        void wakeWatchers(ctx, userId);
        // A local user's visible change goes to the servers sharing a room with them.
        if (isUserOf(userId, ctx.config.serverName)) {
          sendPresenceToServers(ctx, {
            userId,
            presence: after.state,
            statusMsg: after.statusMsg,
            lastActiveTs: after.lastActiveTs,
            currentlyActive: after.currentlyActive,
          });
        }
      });
    });
  } finally {
    const left = (live.writing.get(userId) ?? 1) - 1;
    if (left > 0) live.writing.set(userId, left);
    else live.writing.delete(userId);
    live.stored.delete(userId);
  }
}

/** What `change` makes of the stored row `held`, and whether it is to be written. */
function planPresence(
  ctx: Ctx,
  userId: string,
  change: (current: PresenceRecord, now: number) => PresenceRecord,
  held: PresenceRecord | undefined,
): { after: PresenceRecord; bump: boolean; write: boolean } {
  const now = ctx.clock.now();
  const before = held ?? NEVER_SEEN;
  const after = settleLive(ctx, userId, change(before, now), now);
  const bump = !held || visiblyDiffers(before, after);
  const stale =
    after.lastActiveTs - before.lastActiveTs >= TIMESTAMP_WRITE_INTERVAL_MS ||
    after.lastSyncTs - before.lastSyncTs >= TIMESTAMP_WRITE_INTERVAL_MS;
  return { after, bump, write: bump || stale };
}

/**
 * updatePresence, or nothing (no promise, no await) when the copy of the stored row in
 * memory shows that `change` writes nothing: the end of each /sync asks, and almost never
 * writes.
 */
function updatePresenceIfNeeded(
  ctx: Ctx,
  userId: string,
  change: (current: PresenceRecord, now: number) => PresenceRecord,
): Promise<void> | undefined {
  const held = liveOf(ctx).stored.get(userId);
  if (held && !planPresence(ctx, userId, change, held.row).write) return undefined;
  return updatePresence(ctx, userId, change);
}

/**
 * The user's stored presence row, from memory when it is known there. Every /sync asks
 * twice (as it starts and as it ends) and almost never writes, so the row is read from the
 * database once and kept; updatePresence, the only writer of the table, drops the copy
 * around each write and nothing is kept while a write of the user is in flight (its
 * commit may land before the copy would be taken), so the copy is always the stored row.
 */
async function storedRecord(ctx: Ctx, userId: string): Promise<PresenceRecord | undefined> {
  const live = liveOf(ctx);
  const held = live.stored.get(userId);
  if (held) return held.row;
  const row = await store.getPresence(ctx.db, userId);
  if (!live.writing.has(userId)) live.stored.set(userId, { row });
  return row;
}

/** Wakes the long-polls of the user and of everyone in their rooms. */
async function wakeWatchers(ctx: Ctx, userId: string): Promise<void> {
  try {
    const rooms = await getRoomsWithMembership(ctx.db, userId, 'join');
    ctx.notifier.notify([userId, ...rooms]);
  } catch (err) {
    ctx.log.error({ err, userId }, 'could not wake presence watchers');
  }
}

/**
 * PUT /presence/{userId}/status. 403 for another user. `online` counts as activity; a
 * missing `status_msg` clears it (as Synapse). Accepted and ignored with presence disabled.
 */
export async function setPresence(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; presence: PresenceState; statusMsg?: string | undefined },
): Promise<Record<string, never>> {
  if (requester.userId !== a.userId) throw errors.forbidden("Cannot set another user's presence");
  if (!ctx.config.presence.enabled) return {};
  await updatePresence(ctx, a.userId, (cur, now) => ({
    ...cur,
    state: a.presence,
    statusMsg: a.statusMsg ?? null,
    lastActiveTs: a.presence === 'online' ? now : cur.lastActiveTs,
    // Setting presence shows a connected client: it holds for the sync timeout at least.
    lastSyncTs: now,
  }));
  return {};
}

/**
 * Presence of a user of another server (federation m.presence), as their server states it;
 * the caller has checked that the user belongs to it. Ignored with presence disabled.
 */
export async function setRemotePresence(
  ctx: Ctx,
  p: {
    userId: string;
    presence: PresenceState;
    statusMsg: string | null;
    lastActiveAgo: number;
    currentlyActive: boolean;
  },
): Promise<void> {
  if (!ctx.config.presence.enabled) return;
  await updatePresence(ctx, p.userId, (_cur, now) => ({
    state: p.presence,
    statusMsg: p.statusMsg,
    lastActiveTs: now - p.lastActiveAgo,
    // When their server last told us (settleRemote times them out from it).
    lastSyncTs: now,
    currentlyActive: p.presence === 'online' && p.currentlyActive,
  }));
}

/**
 * GET /presence/{userId}/status. Visible to the user and to those who share a joined room
 * with them (403 otherwise, as Synapse); 404 for an unknown local user. Offline for
 * everyone when presence is disabled.
 * @throws MatrixError 400 M_INVALID_PARAM for a malformed user id.
 */
export async function getPresence(
  ctx: Ctx,
  requester: Requester,
  userId: string,
): Promise<PresenceContent> {
  const parsed = parseUserId(userId);
  if (!parsed) throw errors.invalidParam(`Invalid user id: ${userId}`);
  if (userId !== requester.userId && !(await sharesRoom(ctx, requester.userId, userId))) {
    if (parsed.serverName === ctx.config.serverName) await assertUserExists(ctx, userId);
    throw errors.forbidden('You are not allowed to see their presence');
  }
  if (!ctx.config.presence.enabled) return { presence: 'offline' };
  return presenceContent(await currentRecord(ctx, userId), ctx.clock.now());
}

async function assertUserExists(ctx: Ctx, userId: string): Promise<void> {
  try {
    await getProfile(ctx, userId);
  } catch (e) {
    if (e instanceof MatrixError && e.errcode === 'M_NOT_FOUND') {
      throw errors.notFound(`Unknown user ${userId}`);
    }
    throw e;
  }
}

async function sharesRoom(ctx: Ctx, a: string, b: string): Promise<boolean> {
  const mine = new Set(await getRoomsWithMembership(ctx.db, a, 'join'));
  return (await getRoomsWithMembership(ctx.db, b, 'join')).some((r) => mine.has(r));
}

/**
 * Whether another device of the user synced asking to be online within the sync timeout.
 * Devices are combined as Synapse does (online wins over unavailable): otherwise an idle
 * client (`set_presence=unavailable`) and an active one would flip the user's presence at
 * each request, and each flip would wake the other's long-poll.
 */
function onlineElsewhere(ctx: Ctx, userId: string, deviceId: string, now: number): boolean {
  const devices = liveOf(ctx).onlineDevices.get(userId);
  if (!devices) return false;
  let found = false;
  for (const [id, at] of devices) {
    if (now - at > SYNC_ONLINE_TIMEOUT_MS) devices.delete(id);
    else if (id !== deviceId) found = true;
  }
  if (!devices.size) liveOf(ctx).onlineDevices.delete(userId);
  return found;
}

/**
 * Notes a /sync request of the user's device (client-server API, GET /sync
 * `set_presence`): `online` (the default) marks them online and active, `unavailable` sets
 * that unless another device is online, `offline` leaves their presence alone and does not
 * count as a connection. While the request is in flight the user does not time out; call
 * the returned function when it ends.
 */
export async function trackSync(
  ctx: Ctx,
  userId: string,
  deviceId: string,
  setPresence: PresenceState,
): Promise<() => void> {
  if (!ctx.config.presence.enabled || setPresence === 'offline') return () => {};
  const live = liveOf(ctx);
  let state = setPresence;
  if (setPresence === 'online') {
    const devices = live.onlineDevices.get(userId) ?? new Map<string, number>();
    // In flight it counts however long it polls; its end time is set when it ends.
    live.onlineDevices.set(userId, devices.set(deviceId, Number.POSITIVE_INFINITY));
  } else {
    live.onlineDevices.get(userId)?.delete(deviceId);
    if (onlineElsewhere(ctx, userId, deviceId, ctx.clock.now())) state = 'online';
  }
  const syncing = live.syncing;
  syncing.set(userId, (syncing.get(userId) ?? 0) + 1);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    const left = (syncing.get(userId) ?? 1) - 1;
    if (left > 0) syncing.set(userId, left);
    else syncing.delete(userId);
    const now = ctx.clock.now();
    live.syncEnded.set(userId, now);
    if (setPresence === 'online') live.onlineDevices.get(userId)?.set(deviceId, now);
    // The offline timeout runs from the end of the last sync; this write is throttled.
    updatePresenceIfNeeded(ctx, userId, (cur, now) => ({ ...cur, lastSyncTs: now }))?.catch((err) =>
      ctx.log.error({ err, userId }, 'could not note the end of a sync'),
    );
  };
  try {
    await updatePresence(ctx, userId, (cur, now) => ({
      ...cur,
      state,
      lastActiveTs: setPresence === 'online' ? now : cur.lastActiveTs,
      lastSyncTs: now,
    }));
  } catch (e) {
    end();
    throw e;
  }
  return end;
}

/**
 * Persists the changes time has made (time-outs to unavailable or offline, the end of
 * `currently_active`), so that /sync streams them and wakes those who watch. Cheap to call
 * often: it runs at most once a second and reads only users not offline.
 */
export async function expireStalePresence(ctx: Ctx): Promise<void> {
  if (!sweepDue(ctx)) return;
  const live = liveOf(ctx);
  const now = ctx.clock.now();
  live.lastSweep = now;
  for (const row of await store.getPresenceNotOffline(ctx.db, Number.MAX_SAFE_INTEGER)) {
    if (!visiblyDiffers(row, settleLive(ctx, row.userId, row, now))) continue;
    await updatePresence(ctx, row.userId, (cur) => cur);
  }
}

/**
 * Whether expireStalePresence would sweep now. Every /sync pass asks, and it is due at
 * most once a second: callers on that path check this first and skip the call (an async
 * function's promise and frame each time) when it is not.
 */
export function sweepDue(ctx: Ctx): boolean {
  return (
    ctx.config.presence.enabled && ctx.clock.now() - liveOf(ctx).lastSweep >= SWEEP_INTERVAL_MS
  );
}

/** Per server: how many parked long-polls hold the sweep, and its timer while any do. */
const sweeps = new WeakMap<Ctx, { holders: number; timer: NodeJS.Timeout | null }>();

/**
 * Keeps presence time-outs persisted while the caller (a parked /sync long-poll) waits:
 * expireStalePresence every SWEEP_INTERVAL_MS, by one timer per server for all the polls
 * parked, so a time-out wakes those who watch the user. (Each long-poll used to wake every
 * second to sweep itself: a timer and a pass of checks per poll per second, for what one
 * sweep does for everyone.) Call the returned function when the wait ends; the timer stops
 * with the last holder, and never keeps the process alive.
 */
export function holdPresenceSweep(ctx: Ctx): () => void {
  if (!ctx.config.presence.enabled) return () => {};
  let sweep = sweeps.get(ctx);
  if (!sweep) sweeps.set(ctx, (sweep = { holders: 0, timer: null }));
  const held = sweep;
  if (held.holders++ === 0) {
    held.timer = setInterval(() => {
      expireStalePresence(ctx).catch((err: unknown) =>
        ctx.log.error({ err }, 'could not persist presence time-outs'),
      );
    }, SWEEP_INTERVAL_MS);
    held.timer.unref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.holders === 0 && held.timer) {
      clearInterval(held.timer);
      held.timer = null;
    }
  };
}

/**
 * The presence stream's position for /sync once time-outs are persisted (as
 * getPresenceSince reads it), or null with presence disabled (nothing ever moves then).
 */
export async function presencePosition(ctx: Ctx): Promise<number | null> {
  if (!ctx.config.presence.enabled) return null;
  if (sweepDue(ctx)) await expireStalePresence(ctx);
  return presenceStreamPosition(ctx);
}

/** The newest position of the presence stream, read once per commit (sync/stream-positions.ts). */
function presenceStreamPosition(ctx: Ctx): Promise<number> {
  return positionAtCommit(ctx, 'presence', () => store.getPresenceStreamId(ctx.db));
}

/** An `m.presence` event as /sync sends it. */
export interface PresenceEvent {
  type: 'm.presence';
  sender: string;
  content: PresenceContent;
}

export interface PresenceDelta {
  /** The stream position the delta reaches, for the next /sync token. */
  streamId: number;
  events: PresenceEvent[];
}

/**
 * The presence events for a /sync of `userId`: on an initial sync (`since` null) everyone
 * not offline who shares a joined room with the user (and the user); on an incremental one
 * the changes after `since` of those users, plus everyone not offline in `freshRooms`
 * (rooms joined since then, as Synapse does). Nothing with presence disabled.
 */
export async function getPresenceSince(
  ctx: Ctx,
  userId: string,
  since: number | null,
  rooms: { joined: ReadonlySet<string>; fresh: readonly string[] },
): Promise<PresenceDelta> {
  if (!ctx.config.presence.enabled) return { streamId: since ?? 0, events: [] };
  await expireStalePresence(ctx);
  const upTo = await presenceStreamPosition(ctx);
  // A token already at the stream's end has no changes to read (the common long-poll case).
  const changed =
    since === null || since >= upTo ? [] : await store.getPresenceChanges(ctx.db, since, upTo);
  const wantAll = since === null || rooms.fresh.length > 0;
  const notOffline = wantAll ? await store.getPresenceNotOffline(ctx.db, upTo) : [];
  const fresh = new Set(rooms.fresh);
  const now = ctx.clock.now();
  const picked = new Map<string, store.PresenceRow>();
  // The user's own presence counts when it changed (or on an initial sync).
  const candidates = [
    ...changed.map((row) => ({ row, among: rooms.joined, self: true })),
    ...notOffline.map((row) => ({
      row,
      among: since === null ? rooms.joined : fresh,
      self: since === null,
    })),
  ];
  // Who shares a room of each room set, in one query per set rather than one per user.
  const sharing = new Map<ReadonlySet<string>, Set<string>>();
  for (const { row, among } of candidates) {
    if (row.userId !== userId && !sharing.has(among)) sharing.set(among, new Set());
  }
  for (const [among, users] of sharing) {
    const others = candidates.filter((c) => c.among === among && c.row.userId !== userId);
    const ids = [...new Set(others.map((c) => c.row.userId))];
    for (const u of await getUsersJoinedToAny(ctx.db, ids, [...among])) users.add(u);
  }
  for (const { row, among, self } of candidates) {
    if (picked.has(row.userId)) continue;
    const shares = row.userId === userId ? self : sharing.get(among)!.has(row.userId);
    if (shares) picked.set(row.userId, row);
  }
  const events = [...picked.values()].map((row) => ({
    type: 'm.presence' as const,
    sender: row.userId,
    content: presenceContent(settleLive(ctx, row.userId, row, now), now),
  }));
  return { streamId: upTo, events };
}
