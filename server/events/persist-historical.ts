import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { checkAuthEvents, checkEventAuth, type AuthEvent } from './auth/check.js';
import { referencedEventIds, type Pdu } from './event-format.js';
import { authOrder, insertOutlier, type StoredEvent } from './persist-join.js';
import { authIdsIn, lookup } from './persist-remote.js';
import type { RoomVersion } from './room-versions.js';
import { resolveStateGroups, storeFetch, type StateResEvent } from './state-res/index.js';
import { loadStateGroup, storeStateGroup } from './state-groups.js';
import { stateKeyId, type StateMap } from './state-map.js';
import * as store from './store.js';

/**
 * The persist path for history fetched from other servers (/backfill: spec server-server
 * "Backfilling and retrieving missing events"; federation/backfill/). The caller checked
 * each event's format, signatures and hashes. Here, oldest first, each event passes the
 * auth rules against its auth events and against the state before it (its prev events'
 * states, resolved; for events whose prev events this server lacks, the state the caller
 * fetched with /state_ids), else it is stored rejected. No soft-fail check: these events
 * are history, not news. They change neither the forward extremities nor the current
 * state, wake no /sync and are sent nowhere.
 *
 * Where they go in the stream: below every event stored (negative positions, as Synapse's
 * backfill stream orderings), the newest of a batch highest, so /messages, which pages by
 * stream position, shows them before everything the room had, in order. /sync reads only
 * positive positions (tokens are positive and only go up), so it never serves them as new
 * (docs/events-design.md "Sync caches").
 */

export interface HistoricalEvent {
  eventId: string;
  pdu: Pdu;
}

export interface HistoricalBatch {
  version: RoomVersion;
  roomId: string;
  /** Checked events of the room, any order; those stored already are skipped. */
  events: HistoricalEvent[];
  /**
   * The state before events whose prev events' states are not known here (eventsNeedingState),
   * fetched by the caller, whose events are stored (storeOutliers). An event that needs one
   * and has none here is skipped.
   */
  statesBefore: ReadonlyMap<string, StateMap>;
}

export interface HistoricalOutcome {
  accepted: string[];
  rejected: string[];
  /** Not persisted: their auth events, or the state before them, are not known here. */
  skipped: string[];
}

/** The events by depth, oldest first: a prev event is always shallower than its successors. */
export function byDepth<T extends HistoricalEvent>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => a.pdu.depth - b.pdu.depth);
}

/**
 * Those of `events` (not stored yet) whose state before cannot be worked out here: a prev
 * event neither among `events` nor stored with its state (unknown, or an outlier). The
 * caller fetches the state before them.
 */
export async function eventsNeedingState(
  ctx: Ctx,
  events: readonly HistoricalEvent[],
): Promise<string[]> {
  // Events of the batch stored already (as outliers, say) give no state: not counted.
  const fresh: HistoricalEvent[] = [];
  for (const e of events) if (!(await store.getEventRow(ctx.db, e.eventId))) fresh.push(e);
  const inBatch = new Set(fresh.map((e) => e.eventId));
  const out: string[] = [];
  for (const e of fresh) {
    for (const prev of referencedEventIds(e.pdu.prev_events)) {
      if (inBatch.has(prev)) continue;
      const row = await store.getEventRow(ctx.db, prev);
      if (row && (store.isRejectedReason(row.rejected_reason) || row.state_group !== null)) {
        continue;
      }
      out.push(e.eventId);
      break;
    }
  }
  return out;
}

/**
 * Stores checked events as outliers (the state at a gap and its auth chain, or missing
 * auth events): known by id, never served, no state of their own. Those stored already are
 * kept as they are.
 */
export async function storeOutliers(
  ctx: Ctx,
  roomId: string,
  events: readonly StoredEvent[],
): Promise<void> {
  if (!events.length) return;
  await ctx.writer.transaction('store_fetched_outliers', async (tx) => {
    for (const e of authOrder(events)) {
      if (await store.getEventRow(tx, e.eventId)) continue;
      await insertOutlier(tx, roomId, e);
    }
  });
}

type Verdict =
  | { kind: 'accepted'; e: HistoricalEvent; stateAfter: StateMap; prevGroup: string | null }
  | { kind: 'rejected'; e: HistoricalEvent; reason: string };

/**
 * Persists a batch of history (see above) in one writer unit, in the room's queue.
 * Resolves with what became of each event.
 */
export function persistHistoricalEvents(ctx: Ctx, a: HistoricalBatch): Promise<HistoricalOutcome> {
  return ctx.roomQueue.run(a.roomId, () => persistInQueue(ctx, a));
}

async function persistInQueue(ctx: Ctx, a: HistoricalBatch): Promise<HistoricalOutcome> {
  const { version, roomId } = a;
  const outcome: HistoricalOutcome = { accepted: [], rejected: [], skipped: [] };
  // Events of this batch decided so far, for the auth checks and states of later ones.
  const memory = new Map<string, StateResEvent>();
  const states = new Map<string, StateMap | null>();
  const verdicts: Verdict[] = [];
  const createId = version.roomIdFromCreateEvent ? `$${roomId.slice(1)}` : undefined;
  const seen = new Set<string>();

  for (const e of byDepth(a.events)) {
    if (seen.has(e.eventId) || (await store.getEventRow(ctx.db, e.eventId))) continue;
    seen.add(e.eventId);
    const fetch = storeFetch(ctx.db, memory);
    const event: AuthEvent = { ...(e.pdu as unknown as AuthEvent), event_id: e.eventId };
    const self: StateResEvent = {
      ...event,
      event_id: e.eventId,
      origin_server_ts: e.pdu.origin_server_ts,
      depth: e.pdu.depth,
      auth_events: e.pdu.auth_events,
    };
    const authIds = referencedEventIds(e.pdu.auth_events);
    const authEvents = await fetch.events(authIds);
    if (authIds.some((id) => !authEvents.has(id))) {
      outcome.skipped.push(e.eventId);
      continue;
    }
    const before = await stateBefore(ctx, a, e, states, fetch);
    if (before === undefined) {
      outcome.skipped.push(e.eventId);
      continue;
    }
    const reject = (reason: string) => {
      verdicts.push({ kind: 'rejected', e, reason });
      memory.set(e.eventId, { ...self, rejected: true });
      states.set(e.eventId, null);
    };
    // Against its own auth events (the create event read by v12 rules is named by the room).
    const listed = [...authEvents.values()];
    let verdict = checkAuthEvents(
      event,
      listed,
      version,
      (x) => authEvents.get(x.event_id!)?.rejected === true,
    );
    const create = createId ? (await fetch.events([createId])).get(createId) : undefined;
    if (verdict.ok) {
      verdict = checkEventAuth(event, lookup(create ? [create, ...listed] : listed), version);
    }
    if (!verdict.ok) {
      reject(`auth events: ${verdict.reason} (rule ${verdict.rule})`);
      continue;
    }
    // Against the state before it.
    const beforeEvents = await fetch.events(authIdsIn(event, before.state, version));
    verdict = checkEventAuth(event, lookup([...beforeEvents.values()]), version);
    if (!verdict.ok) {
      reject(`state before: ${verdict.reason} (rule ${verdict.rule})`);
      continue;
    }
    const stateAfter =
      e.pdu.state_key !== undefined
        ? new Map(before.state).set(stateKeyId(e.pdu.type, e.pdu.state_key), e.eventId)
        : before.state;
    verdicts.push({ kind: 'accepted', e, stateAfter, prevGroup: before.deltaOver });
    memory.set(e.eventId, self);
    states.set(e.eventId, stateAfter);
  }
  if (!verdicts.length) return outcome;

  await ctx.writer.transaction('persist_historical_events', async (tx) => {
    // Below every stored event; the oldest of the batch lowest. Allocated in the writer, so
    // two batches never take the same positions.
    const top = Math.min(await store.getMinStreamOrdering(tx), 0) - 1;
    const groups = new Map<string, { groupId: number; state: StateMap }>();
    for (const [i, v] of verdicts.entries()) {
      const { e } = v;
      const streamOrdering = top - (verdicts.length - 1 - i);
      const row = { eventId: e.eventId, roomId, pdu: e.pdu, streamOrdering };
      if (v.kind === 'rejected') {
        ctx.log.info(
          { eventId: e.eventId, roomId, reason: v.reason },
          'rejected a backfilled event',
        );
        await store.insertPdu(tx, { ...row, rejectedReason: v.reason, stateGroup: null });
        outcome.rejected.push(e.eventId);
        continue;
      }
      const prev = v.prevGroup === null ? null : await groupOf(ctx, tx, v.prevGroup, groups);
      const group = await storeStateGroup(ctx, tx, { roomId, prev, state: v.stateAfter });
      groups.set(e.eventId, { groupId: group, state: v.stateAfter });
      await store.insertPdu(tx, { ...row, rejectedReason: null, stateGroup: group });
      await store.insertAuthChain(
        tx,
        e.eventId,
        referencedEventIds(e.pdu.auth_events),
        e.pdu.state_key !== undefined,
      );
      for (const hook of ctx.historicalEventHooks ?? []) {
        await hook(ctx, tx, {
          eventId: e.eventId,
          roomId,
          streamOrdering,
          pdu: e.pdu,
          version,
          stateAfter: v.stateAfter,
        });
      }
      outcome.accepted.push(e.eventId);
    }
  });
  return outcome;
}

/**
 * The state before `e`: its prev events' states resolved (from this batch or stored), or
 * the state the caller fetched; undefined when neither is known. `deltaOver` names the
 * prev event whose group the new group should build on (null: a snapshot).
 */
async function stateBefore(
  ctx: Ctx,
  a: HistoricalBatch,
  e: HistoricalEvent,
  states: ReadonlyMap<string, StateMap | null>,
  fetch: ReturnType<typeof storeFetch>,
): Promise<{ state: StateMap; deltaOver: string | null } | undefined> {
  const sets: { id: string; state: StateMap }[] = [];
  let known = true;
  for (const prev of referencedEventIds(e.pdu.prev_events)) {
    if (states.has(prev)) {
      const s = states.get(prev);
      // A rejected prev event contributes no state (it has none).
      if (s) sets.push({ id: prev, state: s });
      continue;
    }
    const row = await store.getEventRow(ctx.db, prev);
    if (row && store.isRejectedReason(row.rejected_reason)) continue;
    if (!row || row.state_group === null) {
      known = false;
      break;
    }
    sets.push({ id: prev, state: await loadStateGroup(ctx, row.state_group) });
  }
  if (!known) {
    const fetched = a.statesBefore.get(e.eventId);
    return fetched ? { state: fetched, deltaOver: null } : undefined;
  }
  if (sets.length === 1) return { state: sets[0]!.state, deltaOver: sets[0]!.id };
  const state = await resolveStateGroups(
    a.version,
    sets.map((s) => s.state),
    fetch,
  );
  return { state, deltaOver: sets[0]?.id ?? null };
}

/** The state group of a prev event: written earlier in this unit, or stored. */
async function groupOf(
  ctx: Ctx,
  tx: Tx,
  eventId: string,
  written: ReadonlyMap<string, { groupId: number; state: StateMap }>,
): Promise<{ groupId: number; state: StateMap } | null> {
  const held = written.get(eventId);
  if (held) return held;
  const row = await store.getEventRow(tx, eventId);
  if (!row || row.state_group === null) return null;
  return { groupId: row.state_group, state: await loadStateGroup(ctx, row.state_group) };
}
