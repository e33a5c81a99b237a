import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import type { ClientEvent } from '../events/client-event.js';
import type { Pdu } from '../events/event-format.js';
import { roomVersion, type RoomVersion } from '../events/room-versions.js';
import * as eventStore from '../events/store.js';
import { serveEvents } from '../rooms/serve-events.js';
import { openRoomView } from '../rooms/visibility.js';
import { loadStateGroup } from '../events/state-groups.js';
import { stateKeyId, type StateMap } from '../events/state-map.js';
import {
  applyEventFields,
  eventLimit,
  eventMatchesFilter,
  type Filter,
  type RoomEventFilter,
} from './filter.js';
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

interface Loaded {
  row: store.SyncEventRow;
  pdu: Pdu;
}

/** The timeline and state sections of a joined or left room. */
export async function roomTimelineAndState(
  ctx: Ctx,
  scope: SyncScope,
  w: RoomWindow,
): Promise<RoomTimelineAndState> {
  const view = await roomView(ctx, scope.userId, w.roomId);
  const { events, limited } = await loadTimeline(ctx, w, scope.filter.room.timeline, view.canSee);
  const startPos = events.length ? events[0]!.row.stream_ordering - 1 : w.to;
  // The state sent is relative to the start of the timeline, or its end with use_state_after.
  const stateBase = await stateAt(ctx, w.roomId, scope.useStateAfter ? w.to : startPos);
  let stateIds: string[];
  if (w.fullState) {
    stateIds = [...stateBase.values()];
  } else {
    const stateSince = await stateAt(ctx, w.roomId, w.from);
    stateIds = [...stateBase].filter(([k, id]) => stateSince.get(k) !== id).map(([, id]) => id);
  }
  const stateFilter = scope.filter.room.state;
  // Without redundant members, the device's record of member events sent decides (lazy-members.ts).
  const remember = stateFilter.lazyLoadMembers && !stateFilter.includeRedundantMembers;
  if (stateFilter.lazyLoadMembers) {
    // Only the members who speak in the timeline (and the user).
    const wanted = new Set([scope.userId, ...events.map((e) => e.pdu.sender)]);
    const memberIds = new Set(
      [...wanted]
        .map((u) => stateBase.get(stateKeyId('m.room.member', u)))
        .filter((id): id is string => id !== undefined),
    );
    const members = new Set(
      [...stateBase].filter(([k]) => k.startsWith(MEMBER_PREFIX)).map(([, id]) => id),
    );
    stateIds = w.fullState
      ? stateIds.filter((id) => !members.has(id) || memberIds.has(id))
      : [...new Set([...stateIds, ...memberIds])];
    if (remember && !w.fullState) {
      const memberOf = new Map(
        [...stateBase]
          .filter(([k]) => k.startsWith(MEMBER_PREFIX))
          .map(([k, id]) => [id, k.slice(MEMBER_PREFIX.length)]),
      );
      stateIds = stateIds.filter((id) => {
        const userId = memberOf.get(id);
        return (
          userId === undefined || !wasMemberSent(ctx, scope, w.roomId, { userId, eventId: id })
        );
      });
    }
  }
  const stateRows = (await store.getEventRowsByIds(ctx.db, stateIds))
    .map((row) => ({ row, pdu: JSON.parse(row.json) as Pdu }))
    .filter((s) => eventMatchesFilter(filterable(s.pdu, w.roomId), stateFilter));
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
  const txnIds = await store.getTxnIdsOfDevice(
    ctx.db,
    scope.userId,
    scope.deviceId,
    events.filter((e) => e.pdu.sender === scope.userId).map((e) => e.row.event_id),
  );
  // Bundled aggregations only in a limited timeline (spec "Aggregations of child events"
  // lists /sync "when the relevant section has a limited value of true"): otherwise the
  // client receives the children themselves.
  const timelineEvents = await serveEvents(
    ctx,
    view.version,
    events.map((e) => e.row),
    limited ? { userId: scope.userId, canSee: view.canSee } : undefined,
  );
  for (const ev of timelineEvents) {
    const txnId = txnIds.get(ev.event_id);
    if (txnId !== undefined) ev.unsigned.transaction_id = txnId;
  }
  const stateEvents = await serveEvents(
    ctx,
    view.version,
    stateRows.map((s) => s.row),
  );
  const fields = scope.filter.eventFields;
  const state = { events: stateEvents.map((e) => applyEventFields(e, fields)) };
  return {
    timeline: {
      events: timelineEvents.map((e) => applyEventFields(e, fields)),
      limited,
      prev_batch: formatStreamToken({ events: startPos }),
    },
    ...(scope.useStateAfter ? { state_after: state } : { state }),
    membersChanged:
      events.some((e) => e.pdu.type === 'm.room.member') ||
      stateRows.some((s) => s.pdu.type === 'm.room.member'),
  };
}

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
async function roomView(ctx: Ctx, userId: string, roomId: string): Promise<View> {
  try {
    return await openRoomView(ctx, userId, roomId);
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
 * when older matching events in the window were left out.
 */
async function loadTimeline(
  ctx: Ctx,
  w: RoomWindow,
  filter: RoomEventFilter,
  canSee: View['canSee'],
): Promise<{ events: Loaded[]; limited: boolean }> {
  const limit = eventLimit(filter);
  const batch = Math.max(limit + 1, 50);
  const out: Loaded[] = [];
  let upTo = w.to;
  for (;;) {
    const rows = await store.getRoomEventsBackwards(ctx.db, w.roomId, w.from, upTo, batch);
    for (const row of rows) {
      const pdu = JSON.parse(row.json) as Pdu;
      const content = row.redacted_by ? {} : pdu.content;
      if (!eventMatchesFilter({ ...filterable(pdu, w.roomId), content }, filter)) continue;
      if (!(await canSee(row))) continue;
      if (out.length === limit) return { events: out.reverse(), limited: true };
      out.push({ row, pdu });
    }
    if (rows.length < batch) return { events: out.reverse(), limited: false };
    upTo = rows[rows.length - 1]!.stream_ordering - 1;
  }
}

/** The state of a room after the newest event at or before `pos` (empty before the room). */
export async function stateAt(ctx: Ctx, roomId: string, pos: number): Promise<StateMap> {
  const group = await store.getStateGroupAt(ctx.db, roomId, pos);
  return group === undefined ? new Map() : loadStateGroup(ctx, group);
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
  const memberIds = [...state].filter(([k]) => k.startsWith(MEMBER_PREFIX)).map(([, id]) => id);
  const json = await eventStore.getEventJsonMany(ctx.db, memberIds);
  let joined = 0;
  let invited = 0;
  const heroes: string[] = [];
  for (const id of memberIds) {
    const pdu = JSON.parse(json.get(id) ?? 'null') as Pdu | null;
    if (!pdu || pdu.state_key === undefined) continue;
    const membership = pdu.content.membership;
    if (membership === 'join') joined++;
    else if (membership === 'invite') invited++;
    else continue;
    if (pdu.state_key !== userId) heroes.push(pdu.state_key);
  }
  return {
    'm.heroes': heroes.sort().slice(0, 5),
    'm.joined_member_count': joined,
    'm.invited_member_count': invited,
  };
}

/** The state types an invitee or knocker sees before joining (spec "Stripped state"). */
const STRIPPED_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
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
  const state =
    membership.state_group === null ? new Map() : await loadStateGroup(ctx, membership.state_group);
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

function filterable(pdu: Pdu, roomId: string) {
  return { type: pdu.type, sender: pdu.sender, room_id: roomId, content: pdu.content };
}
