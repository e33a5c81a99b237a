import { LRUCache } from 'lru-cache';
import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import {
  expireStalePresence,
  sweepDue,
  getPresenceSince,
  holdPresenceSweep,
  presencePosition,
  trackSync,
  type PresenceDelta,
} from '../presence/presence.js';
import type { PresenceState } from '../presence/state.js';
import { isForgotten } from '../rooms/store.js';
import {
  getUnreadCountsInRooms,
  knownUnreadCounts,
  type UnreadCounts,
} from '../push/unread-counts.js';
import { takeToDeviceMessages, toDevicePosition, type ToDeviceDelta } from '../to-device/inbox.js';
import {
  deviceListPosition,
  e2eeSyncFields,
  type E2eeSyncFields,
} from '../e2ee/keys/sync-fields.js';
import {
  accountDataPosition,
  getAccountDataSince,
  type AccountDataEvent,
} from '../userdata/account-data.js';
import { getReceiptsBetween, getReceiptsSince, receiptPosition } from '../userdata/receipts.js';
import { getTypingSince, typingPosition } from '../userdata/typing.js';
import {
  eventMatchesFilter,
  roomIncluded,
  type EventFilter,
  type Filter,
  type FilterableEvent,
  type RoomEventFilter,
} from './filter.js';
import {
  outOfRoomLeave,
  roomSummary,
  roomTimelineAndState,
  stateAt,
  strippedState,
  type RoomTimelineAndState,
  type SyncScope,
} from './sync-rooms.js';
import { forgetSentMembers } from './lazy-members.js';
import * as store from './sync-store.js';
import { formatStreamToken, parseStreamToken, type StreamToken } from './token.js';
import { resolveFilterParam } from './user-filters.js';
import { membershipEventsOfUser, type Membership } from './wake-memberships.js';
import { eventsWindow, knownEventsWindow } from './wake-rooms.js';
import { positionAtCommit } from './stream-positions.js';
import { WaitCancel } from './notifier.js';

/**
 * GET /sync (client-server API, "Syncing"): what changed for a user between `since` and
 * now, or everything the user should start from (an initial sync). Rooms are sorted into
 * join / invite / leave / knock by the user's membership at the end of the window, read
 * from the membership events themselves (so the answer is consistent with `next_batch`).
 */

export interface SyncRequest {
  filter?: string | undefined;
  since?: string | undefined;
  fullState: boolean;
  /** Send `state_after` instead of `state` (spec v1.16). */
  useStateAfter: boolean;
  /** Long-poll for at most this long when nothing has changed (ms). */
  timeoutMs: number;
  /** Aborts a long-poll (the client went away). */
  signal?: AbortSignal | undefined;
  /** `set_presence`: what this sync says of the user's presence (default online). */
  setPresence?: PresenceState | undefined;
}

export interface SyncResponse extends Partial<E2eeSyncFields> {
  next_batch: string;
  rooms: {
    join: Record<string, unknown>;
    invite: Record<string, unknown>;
    leave: Record<string, unknown>;
    knock: Record<string, unknown>;
  };
  account_data: { events: unknown[] };
  presence: { events: unknown[] };
  to_device: { events: unknown[] };
}

/**
 * Answers a /sync request; with `since` and nothing new, waits on the notifier for the
 * user and their rooms until `timeoutMs` passes, then answers with an empty delta.
 * @throws MatrixError 400 M_INVALID_PARAM for a bad `since`, 404 for an unknown filter id.
 */
export async function sync(
  ctx: Ctx,
  requester: Requester,
  req: SyncRequest,
): Promise<SyncResponse> {
  const since = req.since !== undefined ? parseStreamToken(req.since, 'since') : null;
  const filter = await resolveFilter(ctx, requester.userId, req.filter);
  const deadline = performance.now() + Math.max(0, req.timeoutMs);
  const endSync = await trackSync(
    ctx,
    requester.userId,
    requester.deviceId,
    req.setPresence ?? 'online',
  );
  try {
    const response = await syncUntilChange(ctx, requester, req, { since, filter, deadline });
    // The pass read through a connection that sees each commit before its fsync: the
    // answer waits until all it may have shown is on disk (at once, nearly always). This
    // is what lets a message's notification come at its commit (events/persist.ts): the
    // woken passes are built during the fsync instead of after it.
    const durable = ctx.writer.whenAllDurable();
    if (durable) await durable;
    return response;
  } finally {
    endSync();
  }
}

/**
 * Normalised filters that depend on the request's text alone (none: the default; an
 * inline JSON filter), kept so that each long-poll does not rebuild the same one. A Filter
 * is never modified once built. Stored filters (by id) are read as before.
 */
const resolvedFilters = new LRUCache<string, Filter>({ max: 256 });

async function resolveFilter(ctx: Ctx, userId: string, raw: string | undefined): Promise<Filter> {
  const key = raw ?? '';
  if (key !== '' && !key.startsWith('{')) {
    return resolveFilterParam(ctx, userId, raw);
  }
  let filter = resolvedFilters.get(key);
  if (!filter) {
    filter = await resolveFilterParam(ctx, userId, raw);
    resolvedFilters.set(key, filter);
  }
  return filter;
}

/** The loop of `sync`: answers at once, or when something changes, or at the deadline. */
async function syncUntilChange(
  ctx: Ctx,
  requester: Requester,
  req: SyncRequest,
  a: { since: StreamToken | null; filter: Filter; deadline: number },
): Promise<SyncResponse> {
  const { since, filter, deadline } = a;
  // A client without a token, or asking for full state, keeps no lazy-loaded members.
  if (!since || req.fullState) forgetSentMembers(ctx, requester);
  // What the last pass read of the user's own streams, for the next (see carriedUserPart).
  let held: UserPart | undefined;
  for (;;) {
    // Taken before `to` is read: waitForChange reads positions again only when a
    // notification came after it. `to` is the position at the writer's latest commit (read
    // once per commit, stream-positions.ts), so it holds every commit notified before.
    const generation = ctx.notifier.generation;
    const to = await positionAtCommit(ctx, 'events', () => store.getMaxStreamOrdering(ctx.db));
    const scope: SyncScope = {
      userId: requester.userId,
      deviceId: requester.deviceId,
      filter,
      useStateAfter: req.useStateAfter,
    };
    const { response, watchRooms, deviceListsAt, user } = await syncOnce(ctx, scope, {
      since,
      fullState: req.fullState,
      to,
      held,
    });
    held = user;
    const remaining = deadline - performance.now();
    if (!since || req.fullState || hasData(response) || remaining <= 0) return response;
    if (req.signal?.aborted) return response;
    await waitForChange(
      ctx,
      [requester.userId, ...watchRooms],
      { to, deviceListsAt, generation },
      remaining,
      req.signal,
    );
    if (req.signal?.aborted) return response;
  }
}

/**
 * Waits until one of `keys` is notified, `remaining` ms pass, or `signal` aborts. The
 * wait is registered before anything is read again, so a notification after the pass
 * wakes it. One that came between the pass and the registration (the notifier's
 * generation moved since `seen.generation`, when the pass read `seen.to`) may be of a
 * commit the pass missed: the events and device-list positions are read again, and the
 * pass runs again when either moved. When the generation has not moved, every commit the
 * pass did not see is still to be notified (the notifier is told at or after each commit
 * that has something to tell: a local event at its commit, other writes once durable), so
 * nothing is read. Whatever a pass reads may not be durable yet; `sync` holds the answer
 * until it is (Writer.whenAllDurable). Timing is real elapsed time, as the notifier's
 * timers are.
 *
 * A long-poll used to wake every second to sweep presence time-outs and read the
 * positions again (for invites and new rooms, notified now by their member events' state
 * key: events/persist.ts). The sweep is one timer per server now (holdPresenceSweep), and
 * waking on positions alone answered from commits before they were durable.
 */
async function waitForChange(
  ctx: Ctx,
  keys: string[],
  seen: { to: number; deviceListsAt: number; generation: number },
  remaining: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stop = new WaitCancel();
  const onAbort = () => stop.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const releaseSweep = holdPresenceSweep(ctx);
  try {
    const woken = ctx.notifier.wait(keys, remaining, stop);
    // Presence time-outs are persisted by whoever looks; a change wakes its watchers.
    if (sweepDue(ctx)) await expireStalePresence(ctx);
    if (ctx.notifier.generation !== seen.generation) {
      // A commit notified since the pass read `seen` has moved the notifier's generation;
      // the position is that of the latest commit (stream-positions.ts).
      const now = await positionAtCommit(ctx, 'events', () => store.getMaxStreamOrdering(ctx.db));
      // The device-list stream too: a key change notifies rooms, and may have come between.
      if (now > seen.to || (await deviceListPosition(ctx)) > seen.deviceListsAt) stop.cancel();
    }
    await woken;
  } finally {
    releaseSweep();
    signal?.removeEventListener('abort', onAbort);
  }
}

function hasData(r: SyncResponse): boolean {
  return (
    r.account_data.events.length > 0 ||
    r.to_device.events.length > 0 ||
    r.presence.events.length > 0 ||
    (r.device_lists !== undefined &&
      r.device_lists.changed.length + r.device_lists.left.length > 0) ||
    Object.values(r.rooms).some((section) => Object.keys(section).length > 0)
  );
}

/** The events of `events` that pass a filter section, the first `limit` of them if it has one. */
function filterEvents<T extends FilterableEvent>(
  events: readonly T[],
  filter: EventFilter & Partial<Pick<RoomEventFilter, 'rooms' | 'notRooms'>>,
): T[] {
  const kept = events.filter((e) => eventMatchesFilter(e, filter));
  return filter.limit === null ? kept : kept.slice(0, filter.limit);
}

/** The user's own data since the token: account data, and the receipts and typing of rooms. */
interface UserData {
  streams: { account_data: number; receipts: number; typing: number };
  global: AccountDataEvent[];
  roomAccountData: Record<string, AccountDataEvent[]>;
  ephemeral: Map<string, { type: string; content: unknown }[]>;
}

/**
 * Reads the account data, receipt and typing streams after the positions of `since` (all
 * of them on an initial sync). A room joined since the token (`fresh`) gets its receipts and
 * typing users from the start, as on an initial sync. A typing position above the current
 * one is from before a restart and reads as 0 (server/userdata/typing.ts).
 */
async function userDataSince(
  ctx: Ctx,
  userId: string,
  since: StreamToken | null,
  rooms: { ongoing: string[]; fresh: string[] },
): Promise<UserData> {
  const account = await getAccountDataSince(ctx, userId, since?.account_data ?? 0);
  const receiptsUpTo = await receiptPosition(ctx);
  const receipts = await getReceiptsBetween(
    ctx,
    rooms.ongoing,
    since?.receipts ?? 0,
    receiptsUpTo,
    userId,
  );
  const freshReceipts = rooms.fresh.length
    ? (await getReceiptsSince(ctx, rooms.fresh, 0, userId)).rooms
    : {};
  const typing = getTypingSince(ctx, rooms.ongoing, since?.typing ?? 0);
  const freshTyping = rooms.fresh.length ? getTypingSince(ctx, rooms.fresh, 0).rooms : {};
  const ephemeral = new Map<string, { type: string; content: unknown }[]>();
  const add = (roomId: string, type: string, content: unknown) => {
    const list = ephemeral.get(roomId) ?? [];
    list.push({ type, content });
    ephemeral.set(roomId, list);
  };
  for (const [roomId, content] of Object.entries({ ...receipts.rooms, ...freshReceipts })) {
    add(roomId, 'm.receipt', content);
  }
  for (const [roomId, content] of Object.entries({ ...typing.rooms, ...freshTyping })) {
    add(roomId, 'm.typing', content);
  }
  return {
    streams: {
      account_data: account.streamId,
      receipts: receipts.streamId,
      typing: typing.streamId,
    },
    global: account.global,
    roomAccountData: account.rooms,
    ephemeral,
  };
}

/** The user's membership in each room at `to` and at `since`. */
async function membershipsOf(
  ctx: Ctx,
  userId: string,
  since: number | null,
  to: number,
): Promise<{
  now: Map<string, Membership>;
  atSince: Map<string, Membership>;
  lastJoin: Map<string, number>;
}> {
  const now = new Map<string, Membership>();
  const atSince = new Map<string, Membership>();
  const lastJoin = new Map<string, number>();
  // Held in memory between passes (wake-memberships.ts): a wake-up reads only newer ones.
  for (const m of await membershipEventsOfUser(ctx, userId, to)) {
    const { row, membership } = m;
    now.set(row.room_id, m);
    if (since !== null && row.stream_ordering <= since) atSince.set(row.room_id, m);
    if (membership === 'join' || membership === 'invite')
      lastJoin.set(row.room_id, row.stream_ordering);
  }
  return { now, atSince, lastJoin };
}

/**
 * What a pass reads of the user apart from the rooms' windows: their memberships at `to`
 * (and at `since`), and their account data, receipts, typing, to-device messages and
 * presence after `since`. A long-poll keeps it from one pass to the next: see
 * carriedUserPart. Never modified once built.
 */
interface UserPart {
  /** The events position the memberships were read at. */
  to: number;
  memberships: Awaited<ReturnType<typeof membershipsOf>>;
  joined: { ongoing: string[]; fresh: string[] };
  /** The rooms joined at `to` and at `since`, whatever the filter shows (device lists). */
  joinedNow: ReadonlySet<string>;
  joinedAtSince: ReadonlySet<string>;
  userData: UserData;
  toDevice: ToDeviceDelta;
  presence: PresenceDelta;
}

async function readUserPart(
  ctx: Ctx,
  scope: SyncScope,
  a: { since: StreamToken | null; to: number },
): Promise<UserPart> {
  const since = a.since?.events ?? null;
  const memberships = await membershipsOf(ctx, scope.userId, since, a.to);
  const { now, atSince } = memberships;
  const joined = { ongoing: [] as string[], fresh: [] as string[] };
  for (const [roomId, m] of now) {
    if (m.membership !== 'join' || !roomIncluded(scope.filter.room, roomId)) continue;
    const fresh = since === null || atSince.get(roomId)?.membership !== 'join';
    (fresh && since !== null ? joined.fresh : joined.ongoing).push(roomId);
  }
  const userData = await userDataSince(ctx, scope.userId, a.since, joined);
  const toDevice = await takeToDeviceMessages(
    ctx,
    scope.userId,
    scope.deviceId,
    a.since?.to_device ?? 0,
  );
  const presence = await getPresenceSince(ctx, scope.userId, a.since?.presence ?? null, {
    joined: new Set([...joined.ongoing, ...joined.fresh]),
    fresh: joined.fresh,
  });
  return {
    to: a.to,
    memberships,
    joined,
    joinedNow: new Set([...now].filter(([, m]) => m.membership === 'join').map(([r]) => r)),
    joinedAtSince: new Set([...atSince].filter(([, m]) => m.membership === 'join').map(([r]) => r)),
    userData,
    toDevice,
    presence,
  };
}

/**
 * The previous pass's UserPart when it still holds at `to`, else null. A long-poll's
 * passes all read from the same `since`, and most of the user's part of the answer only
 * depends on `since` and on where each stream stands: a pass woken by a message in one
 * of the user's rooms would read the same memberships, account data, receipts, typing,
 * to-device messages and presence again, only to find what the last pass found. So the
 * woken pass takes them over, and reads only the rooms (their windows are shared between
 * the passes of one wake-up, sync-rooms.ts), the e2ee fields and the unread counts.
 *
 * Invariant: the held part is what readUserPart would answer now, because everything it
 * read is unchanged:
 * - memberships: no m.room.member event in (held.to, to] (the window's scan, shared by
 *   every pass of one wake-up; a window too long to scan does not count as unchanged).
 *   Anyone's membership counts, not only the user's: presence reads who shares a room;
 * - account data, receipts, to-device: their stream positions (read once per commit:
 *   stream-positions.ts) equal those of the held part, and what each read returns is
 *   fixed by those positions, `since` and the rooms;
 * - typing (in memory): its position, once the held rooms' expired notices are dropped;
 * - presence: its position, once time-outs are persisted (as getPresenceSince does).
 * A stream that moved, or a membership change, means a full read. The to-device
 * acknowledgement (deleting what `since` acknowledges) was made by the held pass.
 */
async function carriedUserPart(
  ctx: Ctx,
  a: { since: StreamToken | null; fullState: boolean; to: number },
  held: UserPart | undefined,
): Promise<UserPart | null> {
  if (!held || a.since === null || a.fullState || held.to > a.to) return null;
  if (held.to < a.to) {
    // From memory when kept (the window of the send that woke this pass, most often).
    const known = knownEventsWindow(ctx, held.to, a.to);
    const window = known === undefined ? await eventsWindow(ctx, held.to, a.to) : known;
    if (!window || window.members.size > 0) return null;
  }
  const { streams } = held.userData;
  if ((await accountDataPosition(ctx)) !== streams.account_data) return null;
  if ((await receiptPosition(ctx)) !== streams.receipts) return null;
  if (typingPosition(ctx, held.joined.ongoing, held.joined.fresh) !== streams.typing) return null;
  if ((await toDevicePosition(ctx)) !== held.toDevice.streamId) return null;
  const presenceAt = await presencePosition(ctx);
  if (presenceAt !== null && presenceAt !== held.presence.streamId) return null;
  return held.to === a.to ? held : { ...held, to: a.to };
}

/**
 * A joined room of the answer: its timeline and state, then ephemeral events, account
 * data, unread counts and summary (the order of keys the answer has always had). Built
 * key by key rather than by spreading the section without `membersChanged`: an object made
 * by rest destructuring is spread through V8's slow path, about 6 µs for each room of
 * each woken long-poll against under 0.5 µs this way.
 */
function joinedRoomSection(
  section: RoomTimelineAndState,
  parts: { ephemeral: unknown[]; accountData: unknown[]; counts: UnreadCounts; summary: object },
): Record<string, unknown> {
  const room: Record<string, unknown> = { timeline: section.timeline };
  if (section.state !== undefined) room.state = section.state;
  if (section.state_after !== undefined) room.state_after = section.state_after;
  room.ephemeral = { events: parts.ephemeral };
  room.account_data = { events: parts.accountData };
  room.unread_notifications = parts.counts.unread_notifications;
  if (parts.counts.unread_thread_notifications !== undefined) {
    room.unread_thread_notifications = parts.counts.unread_thread_notifications;
  }
  room.summary = parts.summary;
  return room;
}

/** One pass: the answer for the window (since, to], and the rooms a long-poll listens on. */
async function syncOnce(
  ctx: Ctx,
  scope: SyncScope,
  a: { since: StreamToken | null; fullState: boolean; to: number; held?: UserPart | undefined },
): Promise<{
  response: SyncResponse;
  watchRooms: string[];
  deviceListsAt: number;
  user: UserPart;
}> {
  const since = a.since?.events ?? null;
  const filter: Filter = scope.filter;
  const user = (await carriedUserPart(ctx, a, a.held)) ?? (await readUserPart(ctx, scope, a));
  const { now, atSince, lastJoin } = user.memberships;
  const { userData, toDevice, presence } = user;
  // Device lists follow rooms shared, whatever the filter shows of them: from `now`.
  const e2ee = await e2eeSyncFields(ctx, {
    userId: scope.userId,
    deviceId: scope.deviceId,
    since: a.since && { events: a.since.events, deviceLists: a.since.device_lists },
    eventsUpTo: a.to,
    joinedNow: user.joinedNow,
    joinedAtSince: user.joinedAtSince,
  });
  const response: SyncResponse = {
    next_batch: formatStreamToken({
      events: a.to,
      ...userData.streams,
      to_device: toDevice.streamId,
      presence: presence.streamId,
      device_lists: e2ee.streamId,
    }),
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    account_data: { events: filterEvents(userData.global, filter.accountData) },
    presence: { events: filterEvents(presence.events, filter.presence) },
    to_device: { events: toDevice.events },
    ...e2ee.fields,
  };
  /** The room's account data in the window, through the filter (joined and left rooms). */
  const roomAccountData = (roomId: string) =>
    filterEvents(
      (userData.roomAccountData[roomId] ?? []).map((e) => ({ ...e, room_id: roomId })),
      filter.room.accountData,
    ).map(({ type, content }) => ({ type, content }));
  // Rooms with events in the window; with lazy-loaded members a quiet room may still owe
  // the device member events (lazy-members.ts), so it is read as before.
  let active: ReadonlySet<string> | null = null;
  if (since !== null && !a.fullState && !filter.room.state.lazyLoadMembers) {
    // From memory when kept (the window of the send that woke this pass, most often).
    const known = knownEventsWindow(ctx, since, a.to);
    active = (known === undefined ? await eventsWindow(ctx, since, a.to) : known)?.rooms ?? null;
  }
  const watchRooms: string[] = [];
  const joinedParts = new Map<string, (counts: UnreadCounts) => object>();
  for (const [roomId, m] of now) {
    if (m.membership !== 'leave' && m.membership !== 'ban') watchRooms.push(roomId);
    if (!roomIncluded(filter.room, roomId)) continue;
    const changed = since === null || m.row.stream_ordering > since;
    const wasJoined = atSince.get(roomId)?.membership === 'join';
    if (m.membership === 'join') {
      const fresh = since === null || !wasJoined;
      const w = {
        roomId,
        from: fresh ? 0 : since,
        to: a.to,
        fullState: fresh || a.fullState,
        joinedAt: m.row.stream_ordering,
      };
      // A room without events in the window has no timeline and no state change: with no
      // receipts, typing or account data either it would be left out below, so skip it
      // before reading it.
      if (
        !w.fullState &&
        active?.has(roomId) === false &&
        !userData.ephemeral.has(roomId) &&
        !userData.roomAccountData[roomId]?.length
      ) {
        continue;
      }
      const section = await roomTimelineAndState(ctx, scope, w);
      const stateCount = (section.state ?? section.state_after)?.events.length ?? 0;
      const ephemeral = filterEvents(
        (userData.ephemeral.get(roomId) ?? []).map((e) => ({ ...e, room_id: roomId })),
        filter.room.ephemeral,
      ).map(({ type, content }) => ({ type, content }));
      const accountData = roomAccountData(roomId);
      const quiet = !section.timeline.events.length && !stateCount;
      if (!w.fullState && quiet && !ephemeral.length && !accountData.length) continue;
      const summary =
        w.fullState || section.membersChanged
          ? await roomSummary(ctx, scope.userId, await stateAt(ctx, roomId, a.to))
          : {};
      // Completed below with the unread counts, read for all the answered rooms at once.
      joinedParts.set(roomId, (counts) =>
        joinedRoomSection(section, { ephemeral, accountData, counts, summary }),
      );
    } else if (m.membership === 'invite' && (changed || a.fullState)) {
      response.rooms.invite[roomId] = {
        invite_state: { events: await strippedState(ctx, m.row) },
      };
    } else if (m.membership === 'knock' && (changed || a.fullState)) {
      response.rooms.knock[roomId] = {
        knock_state: { events: await strippedState(ctx, m.row) },
      };
    } else if (m.membership === 'leave' || m.membership === 'ban') {
      const wanted =
        since === null
          ? filter.room.includeLeave
          : changed || (filter.room.includeLeave && a.fullState);
      // A forgotten room is gone from the user's view (POST /rooms/{roomId}/forget).
      if (!wanted || (await isForgotten(ctx.db, scope.userId, roomId))) continue;
      // A room left before `since` shows nothing new; one left since shows what led to it.
      const from = wasJoined ? since! : Math.max(0, (lastJoin.get(roomId) ?? 1) - 1);
      // A leave without state: of a room this server is not in (federation/membership/).
      const { membersChanged: _, ...section } =
        m.row.state_group === null
          ? { membersChanged: false, ...outOfRoomLeave(ctx, scope, m.row) }
          : await roomTimelineAndState(ctx, scope, {
              roomId,
              from,
              to: m.row.stream_ordering,
              fullState: !wasJoined || a.fullState,
            });
      // As Synapse: the room's account data of the window (all of it on an initial sync).
      response.rooms.leave[roomId] = {
        ...section,
        account_data: { events: roomAccountData(roomId) },
      };
    }
  }
  if (joinedParts.size) {
    const rooms = [...joinedParts.keys()];
    const opts = { perThread: filter.room.timeline.unreadThreadNotifications };
    const counts =
      knownUnreadCounts(ctx, scope.userId, rooms, opts) ??
      (await getUnreadCountsInRooms(ctx, scope.userId, rooms, opts));
    // In the order of the memberships, as when each room was answered in turn.
    for (const [roomId, part] of joinedParts)
      response.rooms.join[roomId] = part(counts.get(roomId)!);
  }
  return { response, watchRooms, deviceListsAt: e2ee.streamId, user };
}
