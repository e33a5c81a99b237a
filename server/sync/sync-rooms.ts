import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { roomVersion, type RoomVersion } from '../events/room-versions.js';
import * as eventStore from '../events/store.js';
import { serveParsedEvents, serveParsedRows, type ServedMeta } from '../rooms/serve-events.js';
import { knownVisible, openRoomView } from '../rooms/visibility.js';
import { isLoadedState, loadStateGroup } from '../events/state-groups.js';
import { createCache, createSizedCache, type Cache } from '../core/cache.js';
import { redactionState } from '../rooms/timeline-store.js';
import { stateKeyId, type StateMap } from '../events/state-map.js';
import {
  applyEventFields,
  eventLimit,
  eventMatchesFilter,
  type Filter,
  type RoomEventFilter,
} from './filter.js';
import { getEvents } from '../events/event-cache.js';
import { remoteMembershipStrippedState } from '../federation/membership/remote-memberships.js';
import { getServedPositions } from './event-cache.js';
import { noteMembersSent, wasMemberSent } from './lazy-members.js';
import * as store from './sync-store.js';
import { formatStreamToken } from './token.js';

/**
 * One room of a /sync answer (client-server API, "Syncing", GET /sync `rooms`): its
 * timeline window, the state at the start of that window (in full, or as a delta from the
 * `since` position), the summary, and the stripped state of invites and knocks.
 */

/** Who is syncing and how: shared by every room of one answer. */
export interface SyncScope {
  userId: string;
  deviceId: string;
  filter: Filter;
  /** Answer with `state_after` (state at the end of the timeline) instead of `state`. */
  useStateAfter: boolean;
}

/** A room's timeline window: events with from < position <= to. */
export interface RoomWindow {
  roomId: string;
  from: number;
  to: number;
  /** Full state at the start of the timeline, or only what changed since `from`. */
  fullState: boolean;
  /** Position of the user's join event when joined at `to` (saves openRoomView's reads). */
  joinedAt?: number;
}

export interface RoomTimelineAndState {
  timeline: { events: Partial<ClientEvent>[]; limited: boolean; prev_batch: string };
  /** The state at the start of the timeline; `state_after` instead with use_state_after. */
  state?: { events: Partial<ClientEvent>[] };
  /** The state at the end of the timeline (MSC4222, spec v1.16 `use_state_after`). */
  state_after?: { events: Partial<ClientEvent>[] };
  /** Whether any membership changed in the window (the summary is then sent again). */
  membersChanged: boolean;
}

interface Loaded<R extends ServedMeta = store.SyncEventRow> {
  row: R;
  pdu: Pdu;
}

/**
 * Served state events of a room by id, in stream order, with their PDUs (from the cache
 * when there). Only the position and the redaction are read from the events table; the
 * rest of the row is the PDU's (the type, state key and sender of an event are its PDU's,
 * and the events of a room's state are of that room).
 */
async function loadStateEvents(
  ctx: Ctx,
  roomId: string,
  ids: readonly string[],
): Promise<Loaded<ServedMeta>[]> {
  const served = await getServedPositions(ctx, ids);
  const cached = await getEvents(
    ctx,
    served.map((r) => r.event_id),
  );
  return served.flatMap(({ event_id, redacted_by }) => {
    const pdu = cached.get(event_id)?.pdu;
    if (!pdu) return [];
    const row = {
      event_id,
      redacted_by,
      room_id: roomId,
      type: pdu.type,
      state_key: pdu.state_key ?? null,
    };
    return [{ row, pdu }];
  });
}

/** The timeline and state sections of a joined or left room. */
export async function roomTimelineAndState(
  ctx: Ctx,
  scope: SyncScope,
  w: RoomWindow,
): Promise<RoomTimelineAndState> {
  const key = shareKey(scope, w);
  let view: View | undefined;
  let core: SectionCore | undefined;
  if (key !== null) {
    const known = sharedCoresOf(ctx).get(key);
    const { epoch, settled } = redactionState();
    if (known && settled && known.epoch === epoch) {
      // For a joined room memory most often tells (a woken long-poll), as the user's view
      // of the room would (whose last join is then `joinedAt`); else that view does.
      const { joinedAt } = w;
      if (
        joinedAt !== undefined &&
        known.rows.every((row) => knownVisible(ctx, scope.userId, joinedAt, row))
      ) {
        core = known;
      } else {
        view = await roomView(ctx, scope.userId, w.roomId, w.joinedAt);
        if (await everyVisible(view, known.rows)) core = known;
      }
    }
  }
  core ??= await buildSectionCore(
    ctx,
    scope,
    w,
    view ?? (await roomView(ctx, scope.userId, w.roomId, w.joinedAt)),
    key,
  );
  return personalise(ctx, scope, core);
}

/**
 * What a room's sections hold before the user's own touches (the transaction ids of their
 * events, the event_fields cut): the same for every member who reads the same window
 * through the same filter and may see all of it.
 */
interface SectionCore {
  timelineEvents: readonly ClientEvent[];
  stateEvents: readonly ClientEvent[];
  limited: boolean;
  prevBatch: string;
  membersChanged: boolean;
  /** The timeline's rows, to check that another user may see each of them. */
  rows: readonly store.SyncEventRow[];
  /** The redaction epoch the core was read at (rooms/timeline-store.ts, redactionState). */
  epoch: number;
}

/**
 * The key under which a window's core is shared, or null when it is not: a full state or
 * lazy-loaded members differ by device. Filters are told apart by identity (sync.ts keeps
 * one Filter object per filter text).
 */
function shareKey(scope: SyncScope, w: RoomWindow): string | null {
  if (w.fullState || scope.filter.room.state.lazyLoadMembers) return null;
  let serial = filterSerials.get(scope.filter);
  if (serial === undefined) filterSerials.set(scope.filter, (serial = nextFilterSerial++));
  return `${w.roomId}\u0000${w.from}\u0000${w.to}\u0000${serial}\u0000${scope.useStateAfter ? 1 : 0}`;
}

const filterSerials = new WeakMap<Filter, number>();
let nextFilterSerial = 0;

/**
 * Cores of recent windows (the long-polls woken by one event all read the same window of
 * that room). Short-lived: `unsigned.age` is computed when a core is built.
 */
function sharedCoresOf(ctx: Ctx): Cache<string, SectionCore> {
  let cache = sharedCores.get(ctx);
  if (!cache) {
    cache = createCache<string, SectionCore>(
      ctx.config.caches,
      'sync_shared_sections',
      1_000,
      2_000,
    );
    sharedCores.set(ctx, cache);
  }
  return cache;
}

const sharedCores = new WeakMap<Ctx, Cache<string, SectionCore>>();

/** Whether the viewer may see every one of `rows` (else the window is read for them). */
async function everyVisible(view: View, rows: readonly store.SyncEventRow[]): Promise<boolean> {
  for (const row of rows) if (!(await view.canSee(row))) return false;
  return true;
}

/** Reads a room's window for the user; kept for others under `key` when it may be shared. */
async function buildSectionCore(
  ctx: Ctx,
  scope: SyncScope,
  w: RoomWindow,
  view: View,
  key: string | null,
): Promise<SectionCore> {
  // Taken before anything is read: a redaction marked after this moves it.
  const { epoch, settled } = redactionState();
  const { events, limited, hidden } = await loadTimeline(
    ctx,
    w,
    scope.filter.room.timeline,
    view.canSee,
  );
  const startPos = events.length ? events[0]!.row.stream_ordering - 1 : w.to;
  // The state sent is relative to the start of the timeline, or its end with use_state_after.
  const base = await groupAt(ctx, w.roomId, scope.useStateAfter ? w.to : startPos, true);
  const stateBase = base.state;
  // The state entries to send: all of them, or those that differ from the state at `from`.
  let entries: [key: string, eventId: string][];
  if (w.fullState) {
    entries = [...stateBase];
  } else {
    // `from` is the client's token: kept only when not past what this sync read.
    const since = await groupAt(ctx, w.roomId, w.from, w.from <= w.to);
    // One group at both ends (a window of messages only): no state changed, and the walk
    // over the whole room state (every member) is skipped.
    entries =
      since.group !== undefined && since.group === base.group
        ? []
        : [...stateBase].filter(([k, id]) => since.state.get(k) !== id);
  }
  const stateFilter = scope.filter.room.state;
  // Without redundant members, the device's record of member events sent decides (lazy-members.ts).
  const remember = stateFilter.lazyLoadMembers && !stateFilter.includeRedundantMembers;
  if (stateFilter.lazyLoadMembers) {
    // Only the members who speak in the timeline (and the user).
    const wanted = new Map<string, string>();
    for (const userId of new Set([scope.userId, ...events.map((e) => e.pdu.sender)])) {
      const key = stateKeyId('m.room.member', userId);
      const id = stateBase.get(key);
      if (id !== undefined) wanted.set(key, id);
    }
    // Other members' events go (on a full state, all of them; incrementally, the changes
    // stay), and the wanted ones are added.
    entries = w.fullState
      ? entries.filter(([k]) => !k.startsWith(MEMBER_PREFIX) || wanted.has(k))
      : [...new Map([...entries, ...wanted])];
    if (remember && !w.fullState) {
      entries = entries.filter(
        ([k, id]) =>
          !k.startsWith(MEMBER_PREFIX) ||
          !wasMemberSent(ctx, scope, w.roomId, {
            userId: k.slice(MEMBER_PREFIX.length),
            eventId: id,
          }),
      );
    }
  }
  const stateIds = [...new Set(entries.map(([, id]) => id))];
  // The whole state of a group (no lazy loading) is the same list each time it is served.
  const loaded =
    w.fullState && !stateFilter.lazyLoadMembers && base.group !== undefined
      ? await loadWholeState(ctx, w.roomId, base.group, stateIds)
      : await loadStateEvents(ctx, w.roomId, stateIds);
  const stateRows = loaded.filter((s) =>
    eventMatchesFilter(filterable(s.pdu, w.roomId), stateFilter),
  );
  if (remember) {
    const sent = [...stateRows, ...events].filter(
      (e) => e.pdu.type === 'm.room.member' && e.pdu.state_key !== undefined,
    );
    noteMembersSent(
      ctx,
      scope,
      w.roomId,
      sent.map((e) => ({ userId: e.pdu.state_key!, eventId: e.row.event_id })),
    );
  }
  // Bundled aggregations only in a limited timeline (spec "Aggregations of child events"
  // lists /sync "when the relevant section has a limited value of true"): otherwise the
  // client receives the children themselves. They depend on the viewer: a limited
  // timeline's core is not shared.
  const timelineEvents = await serveParsedEvents(
    ctx,
    view.version,
    events,
    limited ? { userId: scope.userId, canSee: view.canSee } : undefined,
  );
  const core: SectionCore = {
    timelineEvents,
    stateEvents: await serveParsedRows(ctx, view.version, stateRows),
    limited,
    prevBatch: formatStreamToken({ events: startPos }),
    membersChanged:
      events.some((e) => e.pdu.type === 'm.room.member') ||
      stateRows.some((s) => s.pdu.type === 'm.room.member'),
    rows: events.map((e) => e.row),
    epoch,
  };
  // Not kept when the user may not see some event of the window: those who may would be
  // answered without it (they check only that they may see every event of a core).
  if (key !== null && settled && !limited && !hidden) {
    // Shared by other answers from now on: nothing may change them.
    for (const ev of [...core.timelineEvents, ...core.stateEvents]) Object.freeze(ev);
    sharedCoresOf(ctx).set(key, core);
  }
  return core;
}

/** A core as the user sees it: their transaction ids, the filter's event_fields. */
async function personalise(
  ctx: Ctx,
  scope: SyncScope,
  core: SectionCore,
): Promise<RoomTimelineAndState> {
  const fields = scope.filter.eventFields;
  const own = core.timelineEvents.filter((e) => e.sender === scope.userId);
  // Nothing of the user's own to add and no fields to cut: the same sections for everyone.
  if (!own.length && !fields?.length) return plainSections(core, scope.useStateAfter);
  const txnIds = own.length
    ? await store.getTxnIdsOfDevice(
        ctx.db,
        scope.userId,
        scope.deviceId,
        own.map((e) => e.event_id),
      )
    : undefined;
  const timelineEvents = core.timelineEvents.map((ev) => {
    const txnId = txnIds?.get(ev.event_id);
    const mine =
      txnId === undefined ? ev : { ...ev, unsigned: { ...ev.unsigned, transaction_id: txnId } };
    return applyEventFields(mine, fields);
  });
  const state = { events: core.stateEvents.map((e) => applyEventFields(e, fields)) };
  return {
    timeline: { events: timelineEvents, limited: core.limited, prev_batch: core.prevBatch },
    ...(scope.useStateAfter ? { state_after: state } : { state }),
    membersChanged: core.membersChanged,
  };
}

/**
 * A core's sections as they are for every member without their own events in it and
 * without event_fields: made once per core and each way of sending state, and shared by the
 * answers (the long-polls one send wakes), so never modified.
 */
function plainSections(core: SectionCore, useStateAfter: boolean): RoomTimelineAndState {
  let made = plainMade.get(core);
  if (!made) plainMade.set(core, (made = {}));
  const which = useStateAfter ? 'stateAfter' : 'state';
  let section = made[which];
  if (!section) {
    const state = Object.freeze({ events: core.stateEvents });
    section = Object.freeze({
      timeline: Object.freeze({
        events: core.timelineEvents,
        limited: core.limited,
        prev_batch: core.prevBatch,
      }),
      ...(useStateAfter ? { state_after: state } : { state }),
      membersChanged: core.membersChanged,
    }) as RoomTimelineAndState;
    made[which] = section;
  }
  return section;
}

const plainMade = new WeakMap<
  SectionCore,
  { state?: RoomTimelineAndState; stateAfter?: RoomTimelineAndState }
>();

const MEMBER_PREFIX = 'm.room.member\u0000';

interface View {
  version: RoomVersion;
  canSee(row: store.SyncEventRow): Promise<boolean>;
}

/**
 * The room as the user may read it (history visibility, rooms/visibility.ts). A user who
 * was never joined (a rejected or withdrawn invite, a refused knock) sees only their own
 * membership events.
 */
async function roomView(
  ctx: Ctx,
  userId: string,
  roomId: string,
  joinedAt: number | undefined,
): Promise<View> {
  try {
    return await openRoomView(ctx, userId, roomId, { joinedAt });
  } catch (e) {
    if (!(e instanceof MatrixError) || e.errcode !== 'M_FORBIDDEN') throw e;
    const room = await eventStore.getRoom(ctx.db, roomId);
    const version = room ? roomVersion(room.room_version) : undefined;
    if (!version) throw e;
    return {
      version,
      canSee: (row) => Promise.resolve(row.type === 'm.room.member' && row.state_key === userId),
    };
  }
}

/**
 * The newest events of the window that pass the timeline filter, oldest first; `limited`
 * when older matching events in the window were left out, `hidden` when the user may not
 * see some matching event that was read (history visibility).
 */
async function loadTimeline(
  ctx: Ctx,
  w: RoomWindow,
  filter: RoomEventFilter,
  canSee: View['canSee'],
): Promise<{ events: Loaded[]; limited: boolean; hidden: boolean }> {
  const limit = eventLimit(filter);
  const out: Loaded[] = [];
  let hidden = false;
  let upTo = w.to;
  // Most events pass the filter: the first read is of just enough events to fill the
  // timeline and tell whether it is limited; later reads, when the filter or the history
  // visibility dropped some, are of more at a time.
  let batch = limit + 1;
  for (;;) {
    const { events, read } = await roomEventsBackwards(ctx, w.roomId, {
      after: w.from,
      upTo,
      limit: batch,
    });
    for (const { row, pdu } of events) {
      const content = row.redacted_by ? {} : pdu.content;
      if (!eventMatchesFilter({ ...filterable(pdu, w.roomId), content }, filter)) continue;
      if (!(await canSee(row))) {
        hidden = true;
        continue;
      }
      if (out.length === limit) return { events: out.reverse(), limited: true, hidden };
      out.push({ row, pdu });
    }
    if (read.length < batch) return { events: out.reverse(), limited: false, hidden };
    upTo = read[read.length - 1]!.stream_ordering - 1;
    batch = Math.max(limit + 1, 50);
  }
}

/**
 * Up to `limit` served events of a room with after < position <= upTo, newest first, as
 * whole rows with their PDUs (`read`: the positions read, whether or not their JSON was
 * found). Only the position, state group and redaction are read from the events table;
 * the JSON and PDU come from the cache when there, and the rest of the row from the PDU
 * (the events table's type, state key, sender and timestamp are the PDU's).
 */
async function roomEventsBackwards(
  ctx: Ctx,
  roomId: string,
  r: { after: number; upTo: number; limit: number },
): Promise<{ events: Loaded[]; read: readonly store.ServedPosition[] }> {
  const read = await roomPositionsBackwards(ctx, roomId, r);
  const cached = await getEvents(
    ctx,
    read.map((p) => p.event_id),
  );
  const events = read.flatMap((p): Loaded[] => {
    const c = cached.get(p.event_id);
    if (!c) return [];
    const row: store.SyncEventRow = {
      stream_ordering: p.stream_ordering,
      event_id: p.event_id,
      room_id: roomId,
      type: c.pdu.type,
      state_key: c.pdu.state_key ?? null,
      sender: c.pdu.sender,
      origin_server_ts: c.pdu.origin_server_ts,
      state_group: p.state_group,
      redacted_by: p.redacted_by,
      json: c.json,
    };
    return [{ row, pdu: c.pdu }];
  });
  return { events, read };
}

/**
 * getRoomPositionsBackwards, kept by room head. `upTo` is at or before a position read as
 * the newest (the window's `to`), so the room's events up to it never change but for their
 * redaction (see groupAt): named by the room's newest event at or before `upTo` (an
 * index-only read), a window's positions are good while the redaction state has not moved
 * since they were read (rooms/timeline-store.ts, redactionState). Repeated syncs of a room
 * with nothing new read the same window; a new event in the room names a new one.
 */
async function roomPositionsBackwards(
  ctx: Ctx,
  roomId: string,
  r: { after: number; upTo: number; limit: number },
): Promise<readonly store.ServedPosition[]> {
  let cache = windows.get(ctx);
  if (!cache) {
    cache = createCache<string, KnownWindow>(ctx.config.caches, 'sync_room_windows', 10_000);
    windows.set(ctx, cache);
  }
  // Taken before the rows are read: a redaction marked after this moves the epoch.
  const { epoch, settled } = redactionState();
  const newest = await newestPositionAt(ctx, roomId, r.upTo);
  if (newest === undefined || newest <= r.after) return [];
  const key = `${roomId}\u0000${r.after}\u0000${newest}\u0000${r.limit}`;
  const known = settled ? cache.get(key) : undefined;
  if (known && known.epoch === epoch) return known.read;
  const read = await store.getRoomPositionsBackwards(ctx.db, roomId, r);
  // Shared by later answers: nothing may change them.
  for (const p of read) Object.freeze(p);
  Object.freeze(read);
  if (settled) cache.set(key, { epoch, read });
  return read;
}

/**
 * The position of a room's newest event at or before `upTo`. `upTo` is never past what
 * has been committed (a sync's `to`), and events only ever take positions above the
 * newest, so the answer for one (room, upTo) never changes: the syncs woken by one event
 * share one read.
 */
async function newestPositionAt(
  ctx: Ctx,
  roomId: string,
  upTo: number,
): Promise<number | undefined> {
  let cache = newestPositions.get(ctx);
  if (!cache) {
    cache = createCache<string, number>(ctx.config.caches, 'sync_room_newest', 10_000);
    newestPositions.set(ctx, cache);
  }
  const key = `${roomId}\u0000${upTo}`;
  let known = cache.get(key);
  if (known === undefined) {
    known = (await store.getRoomNewestPosition(ctx.db, roomId, upTo)) ?? NO_EVENT;
    cache.set(key, known);
  }
  return known === NO_EVENT ? undefined : known;
}

/** In newestPositions: the room has no event at or before the position. */
const NO_EVENT = -1;

/** By room and position: newestPositionAt; one cache per context. */
const newestPositions = new WeakMap<Ctx, Cache<string, number>>();

/** A window's positions as read, and the redaction epoch they were read at. */
interface KnownWindow {
  epoch: number;
  read: readonly store.ServedPosition[];
}

/** By room, window and room head: roomPositionsBackwards; one cache per context. */
const windows = new WeakMap<Ctx, Cache<string, KnownWindow>>();

/**
 * The state of a room after the newest event at or before `pos` (empty before the room).
 * `pos` is at or before the newest position the caller has read (the `to` of its sync).
 */
export async function stateAt(ctx: Ctx, roomId: string, pos: number): Promise<StateMap> {
  return (await groupAt(ctx, roomId, pos, true)).state;
}

/**
 * stateAt, with the state group it is (none before the room's first event). At or before a
 * position read as the newest (`read`), nothing is ever stored once it was read (one
 * writer, positions allocated in commit order; events are never deleted, and whether one
 * is served never changes): the group there never changes, so it is kept. Repeated syncs
 * ask at the same positions.
 */
async function groupAt(
  ctx: Ctx,
  roomId: string,
  pos: number,
  read: boolean,
): Promise<{ group: number | undefined; state: StateMap }> {
  if (!read) {
    const group = await store.getStateGroupAt(ctx.db, roomId, pos);
    return { group, state: group === undefined ? new Map() : await loadStateGroup(ctx, group) };
  }
  let cache = groupsAt.get(ctx);
  if (!cache) {
    cache = createCache<string, number>(ctx.config.caches, 'sync_state_groups_at', 10_000);
    groupsAt.set(ctx, cache);
  }
  const key = `${roomId}\u0000${pos}`;
  let known = cache.get(key);
  if (known === undefined) {
    known = (await store.getStateGroupAt(ctx.db, roomId, pos)) ?? NO_GROUP;
    cache.set(key, known);
  }
  const group = known === NO_GROUP ? undefined : known;
  return { group, state: group === undefined ? new Map() : await loadStateGroup(ctx, group) };
}

/** In groupsAt: no group (before the room's first event). */
const NO_GROUP = -1;

/** By room and position, the state group there (groupAt); one cache per context. */
const groupsAt = new WeakMap<Ctx, Cache<string, number>>();

/** A group's whole state as loaded for /sync, and the redaction epoch it was read at. */
interface WholeState {
  epoch: number;
  events: readonly Loaded<ServedMeta>[];
}

/**
 * Whole states served before, by state group: an initial sync (or a full_state one) serves
 * the whole state of every room, mostly at groups served before. A group's events never
 * change but for their redaction, so a list is good while the redaction state has not
 * moved since it was read (rooms/timeline-store.ts, redactionState). One cache per context,
 * bounded by the events held (their PDUs mostly shared with event-cache.ts), scaled by the
 * `sync_states` cache factor.
 */
const wholeStates = new WeakMap<Ctx, Cache<number, WholeState>>();

async function loadWholeState(
  ctx: Ctx,
  roomId: string,
  group: number,
  ids: readonly string[],
): Promise<readonly Loaded<ServedMeta>[]> {
  let cache = wholeStates.get(ctx);
  if (!cache) {
    cache = createSizedCache<number, WholeState>(
      ctx.config.caches,
      'sync_states',
      20_000,
      (s) => s.events.length,
    );
    wholeStates.set(ctx, cache);
  }
  // Taken before the rows are read: a redaction marked after this moves the epoch.
  const { epoch, settled } = redactionState();
  const known = cache.get(group);
  if (settled && known?.epoch === epoch) return known.events;
  const events = await loadStateEvents(ctx, roomId, ids);
  // Shared by later answers: nothing may change them.
  for (const e of events) Object.freeze(e.row);
  Object.freeze(events);
  if (settled) cache.set(group, { epoch, events });
  return events;
}

/**
 * The room summary (`m.heroes`, member counts) from a room state. Heroes are up to five
 * joined or invited members other than the user, by user id, as Synapse picks them.
 */
export async function roomSummary(
  ctx: Ctx,
  userId: string,
  state: StateMap,
): Promise<Record<string, unknown>> {
  const members = await membersOf(ctx, state);
  const heroes: string[] = [];
  for (const member of members.sorted) {
    if (heroes.length === 5) break;
    if (member !== userId) heroes.push(member);
  }
  return {
    'm.heroes': heroes,
    'm.joined_member_count': members.joined,
    'm.invited_member_count': members.invited,
  };
}

/** The joined and invited members of a state: counts, and their user ids sorted. */
interface Members {
  joined: number;
  invited: number;
  sorted: string[];
}

/**
 * By state, for the immutable states of the state-group cache: a state's members depend on
 * it alone (a member event's JSON never changes, and redaction keeps `membership`), and an
 * initial sync asks for the summary of every room, mostly at states it asked for before.
 */
const membersByState = new WeakMap<StateMap, Members>();

async function membersOf(ctx: Ctx, state: StateMap): Promise<Members> {
  const known = membersByState.get(state);
  if (known) return known;
  const memberIds = [...state].filter(([k]) => k.startsWith(MEMBER_PREFIX)).map(([, id]) => id);
  const cached = await getEvents(ctx, memberIds);
  const members: Members = { joined: 0, invited: 0, sorted: [] };
  for (const id of memberIds) {
    const pdu = cached.get(id)?.pdu;
    if (!pdu || pdu.state_key === undefined) continue;
    const membership = pdu.content.membership;
    if (membership === 'join') members.joined++;
    else if (membership === 'invite') members.invited++;
    else continue;
    members.sorted.push(pdu.state_key);
  }
  members.sorted.sort();
  if (isLoadedState(state)) membersByState.set(state, members);
  return members;
}

/**
 * The state types an invitee or knocker sees before joining: the spec's list ("Stripped
 * state"), create first. Also what this server sends other servers with an invite or a
 * knock (federation/membership/room-preview.ts).
 */
export const STRIPPED_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.topic',
];

/**
 * The stripped state of a room at a membership event (an invite or a knock): the room's
 * identifying state, the sender's member event and the member event itself.
 */
export async function strippedState(
  ctx: Ctx,
  membership: store.SyncEventRow,
): Promise<
  { type: string; state_key: string; content: Record<string, unknown>; sender: string }[]
> {
  const pdu = JSON.parse(membership.json) as Pdu;
  if (membership.state_group === null) {
    // A room this server is not in: the state the invite or knock came with.
    const remote = (await remoteMembershipStrippedState(ctx, membership.event_id)) ?? [];
    const self = { type: pdu.type, state_key: pdu.state_key ?? '', content: pdu.content };
    return [...remote, { ...self, sender: pdu.sender }];
  }
  const state = await loadStateGroup(ctx, membership.state_group);
  const ids = [
    ...STRIPPED_TYPES.map((t) => state.get(stateKeyId(t, ''))),
    state.get(stateKeyId('m.room.member', pdu.sender)),
  ].filter((id): id is string => id !== undefined && id !== membership.event_id);
  const json = await eventStore.getEventJsonMany(ctx.db, ids);
  const events = [...ids.map((id) => JSON.parse(json.get(id) ?? 'null') as Pdu | null), pdu];
  return events
    .filter((e): e is Pdu => e !== null)
    .map((e) => ({
      type: e.type,
      state_key: e.state_key ?? '',
      content: e.content,
      sender: e.sender,
    }));
}

/**
 * The leave section of a room this server is not in (a rejected remote invite, a
 * retracted remote knock: federation/membership/): the leave event alone, no state.
 */
export function outOfRoomLeave(
  ctx: Ctx,
  scope: SyncScope,
  row: store.SyncEventRow,
): Omit<RoomTimelineAndState, 'membersChanged'> {
  const pdu = JSON.parse(row.json) as Pdu;
  const ids = { eventId: row.event_id, roomId: row.room_id };
  const event = toClientEvent(pdu, ids, { now: ctx.clock.now() });
  const timeline = {
    events: [applyEventFields(event, scope.filter.eventFields)],
    limited: false,
    prev_batch: formatStreamToken({ events: row.stream_ordering - 1 }),
  };
  const state = { events: [] };
  return { timeline, ...(scope.useStateAfter ? { state_after: state } : { state }) };
}

function filterable(pdu: Pdu, roomId: string) {
  return { type: pdu.type, sender: pdu.sender, room_id: roomId, content: pdu.content };
}
