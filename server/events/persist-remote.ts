import { MAX_PREV_EVENTS, settleRoomWrites } from './room-heads.js';
import type { UnitOptions } from '../db/writer.js';
import type { Ctx } from '../context.js';
import { authEventsNeeded, checkAuthEvents, checkEventAuth, type AuthEvent } from './auth/check.js';
import { pduOf } from './event-cache.js';
import { runEventHooks } from './event-hooks.js';
import { referencedEventIds, type Pdu } from './event-format.js';
import type { RoomVersion } from './room-versions.js';
import {
  resolveStateGroups,
  storeFetch,
  type StateResEvent,
  type StateResFetch,
} from './state-res/index.js';
import { loadStateGroup, storeStateGroup } from './state-groups.js';
import { splitStateKeyId, stateDelta, stateKeyId, type StateMap } from './state-map.js';
import * as store from './store.js';

/**
 * The persist path for events from other servers (spec server-server API, "Checks
 * performed on receipt of a PDU", steps 4 to 6; docs/events-design.md). The caller has
 * checked the event's format, signatures and hashes (server/federation/event-signatures.ts)
 * and made sure its prev and auth events are stored (fetching what was missing). Here, in
 * the room's queue:
 *
 * 4. the event must pass the auth rules against its own auth_events, else it is rejected;
 * 5. and against the state before it (its prev events' states, resolved when several),
 *    else it is rejected;
 * 6. and against the room's current state, else it is soft-failed: stored with its state,
 *    but not served to clients and not a forward extremity (so local events do not build on
 *    it), as the spec says, so a banned user's server cannot slip events in through an old
 *    part of the DAG.
 *
 * A rejected event is stored (its id must not be fetched again and events that cite it are
 * rejected in turn) but has no state and is never served. An accepted event moves the
 * forward extremities and the current state: the resolution of every extremity's state,
 * when the event forked the room.
 */

export type RemoteEventOutcome =
  | { eventId: string; outcome: 'accepted' | 'soft_failed'; streamOrdering: number }
  | { eventId: string; outcome: 'rejected'; reason: string; streamOrdering: number }
  | { eventId: string; outcome: 'duplicate' };

/** Events the caller must fetch before this one can be persisted. */
export class MissingEventsError extends Error {
  constructor(
    readonly kind: 'prev_events' | 'auth_events' | 'state',
    readonly eventIds: string[],
  ) {
    super(`missing ${kind}: ${eventIds.join(', ')}`);
    this.name = 'MissingEventsError';
  }
}

/**
 * Persists an event of another server into a room this server is in; resolves once it is
 * committed (or with `duplicate` for an event already stored).
 * @throws MissingEventsError when prev or auth events (or the state after a prev event) are
 *   not stored; nothing is written then.
 */
export interface RemoteEvent {
  version: RoomVersion;
  /** The room it is in (its `room_id`: the caller checked they agree). */
  roomId: string;
  eventId: string;
  pdu: Pdu;
  /**
   * The server that handed the event over for this one to pass on (send_join, send_leave,
   * send_knock): once accepted, the event is queued for the room's other servers in its own
   * transaction (event-hooks.ts, relayedFrom).
   */
  relayedFrom?: string;
  /**
   * The state before the event, fetched from another server because its prev events are
   * missing here and could not be fetched (a gap: federation/backfill/state-at-gap.ts; its
   * events are stored). The event is then checked and persisted on that state.
   */
  stateBefore?: StateMap;
  /**
   * False: resolve once the event's commit is visible, before it is fsynced (writer.ts,
   * UnitOptions.durable). For a caller that awaits a durable unit before answering anyone
   * outside the process: the incoming transaction (federation/receive/transaction.ts).
   */
  durable?: boolean;
}

export function persistRemoteEvent(ctx: Ctx, a: RemoteEvent): Promise<RemoteEventOutcome> {
  return ctx.roomQueue.run(a.roomId, () => persistInQueue(ctx, a));
}

async function persistInQueue(ctx: Ctx, a: RemoteEvent): Promise<RemoteEventOutcome> {
  const { version, roomId, eventId, pdu } = a;
  // Local events of the room may be queued in the writer but not committed (room-heads.ts:
  // the queue is released before the commit): wait for them, so the reads below see the
  // room as it is. The queue is held, so no new ones start.
  await settleRoomWrites(ctx.roomHeads, ctx.writer, roomId);
  if (await store.getEventRow(ctx.db, eventId)) return { eventId, outcome: 'duplicate' };

  const event: AuthEvent = { ...(pdu as unknown as AuthEvent), event_id: eventId };
  const authIds = referencedEventIds(pdu.auth_events);
  const prevIds = referencedEventIds(pdu.prev_events);
  const fetch = memoisedEvents(storeFetch(ctx.db, new Map(), (id, json) => pduOf(ctx, id, json)));
  const authEvents = await fetch.events(authIds);
  const missingAuth = authIds.filter((id) => !authEvents.has(id));
  if (missingAuth.length) throw new MissingEventsError('auth_events', missingAuth);
  const prevRows = new Map<string, store.EventRow>();
  for (const id of prevIds) {
    const row = await store.getEventRow(ctx.db, id);
    if (row) prevRows.set(id, row);
  }
  const missingPrev = prevIds.filter((id) => !prevRows.has(id));
  if (missingPrev.length && !a.stateBefore) {
    throw new MissingEventsError('prev_events', missingPrev);
  }

  // Step 4: the auth rules against the event's own auth events.
  const listed = [...authEvents.values()];
  let verdict = checkAuthEvents(
    event,
    listed,
    version,
    (e) => authEvents.get(e.event_id!)?.rejected === true,
  );
  // v12 events do not list the create event (the room id names it); the rules read it.
  const createId = version.roomIdFromCreateEvent ? `$${roomId.slice(1)}` : undefined;
  const create = createId ? (await fetch.events([createId])).get(createId) : undefined;
  if (verdict.ok)
    verdict = checkEventAuth(event, lookup(create ? [create, ...listed] : listed), version);
  if (!verdict.ok)
    return writeRejected(ctx, a, `auth events: ${verdict.reason} (rule ${verdict.rule})`);

  // Step 5: against the state before the event. A rejected prev event contributes no
  // state (it has none); an outlier's state is not known here.
  const withState = [...prevRows.values()].filter(
    (r) => !store.isRejectedReason(r.rejected_reason),
  );
  const noState = withState.filter((r) => r.state_group === null).map((r) => r.event_id);
  if (noState.length && !a.stateBefore) throw new MissingEventsError('state', noState);
  // With a fetched state, the new group is a snapshot of its own (prev: none).
  const groups = a.stateBefore ? [] : [...new Set(withState.map((r) => r.state_group!))];
  const states = await Promise.all(groups.map((g) => loadStateGroup(ctx, g)));
  const stateBefore = a.stateBefore ?? (await resolveStateGroups(version, states, fetch));
  const beforeEvents = await fetch.events(authIdsIn(event, stateBefore, version));
  verdict = checkEventAuth(event, lookup([...beforeEvents.values()]), version);
  if (!verdict.ok)
    return writeRejected(ctx, a, `state before: ${verdict.reason} (rule ${verdict.rule})`);

  const isState = pdu.state_key !== undefined;
  const stateAfter: StateMap = isState
    ? new Map(stateBefore).set(stateKeyId(pdu.type, pdu.state_key!), eventId)
    : stateBefore;

  // Step 6: against the current state (the forward extremities' states, resolved).
  const head = await ctx.roomHeads.get(ctx.db, roomId, (g) => loadStateGroup(ctx, g));
  const currentEvents = await fetch.events(authIdsIn(event, head.state, version));
  const softFailed = !checkEventAuth(event, lookup([...currentEvents.values()]), version).ok;

  // The forward extremities after the event, and the current state they make.
  // The head holds every extremity when it holds fewer than a local event may cite.
  const extremities =
    head.prevEvents.length < MAX_PREV_EVENTS
      ? head.prevEvents.map((p) => p.eventId)
      : await store.getForwardExtremities(ctx.db, roomId);
  const remaining = extremities.filter((id) => !prevIds.includes(id));
  let currentAfter: StateMap | null = null;
  if (!softFailed) {
    const others = await Promise.all(
      remaining.map(async (id) => {
        const row = await store.getEventRow(ctx.db, id);
        return row?.state_group != null ? loadStateGroup(ctx, row.state_group) : null;
      }),
    );
    const sets = [stateAfter, ...others.filter((s): s is StateMap => s !== null)];
    // The event is not stored yet: state resolution reads it from memory.
    const self: StateResEvent = {
      ...event,
      event_id: eventId,
      origin_server_ts: pdu.origin_server_ts,
      depth: pdu.depth,
      auth_events: pdu.auth_events,
    };
    currentAfter = await resolveStateGroups(
      version,
      sets,
      storeFetch(ctx.db, new Map([[eventId, self]]), (id, json) => pduOf(ctx, id, json)),
    );
  }
  const currentBefore = head.state;

  const { outcome, group } = await ctx.writer.transaction(
    'persist_remote_event',
    async (tx) => {
      // A delta over the first prev event's state (the resolved state, with several).
      const prev = groups.length ? { groupId: groups[0]!, state: states[0]! } : null;
      const group = await storeStateGroup(ctx, tx, { roomId, prev, state: stateAfter });
      const streamOrdering = await store.insertPdu(tx, {
        eventId,
        roomId,
        pdu,
        rejectedReason: softFailed ? store.SOFT_FAILED : null,
        stateGroup: group,
      });
      await store.insertAuthChain(tx, eventId, authIds, isState);
      if (currentAfter) {
        await store.advanceForwardExtremities(tx, roomId, eventId, prevIds);
        for (const [k, id] of stateDelta(currentBefore, currentAfter)) {
          const [type, stateKey] = splitStateKeyId(k);
          await store.setCurrentStateEntry(tx, roomId, type, stateKey, id);
        }
        await runEventHooks(ctx, tx, {
          eventId,
          roomId,
          streamOrdering,
          pdu,
          version,
          stateAfter,
          ...(a.relayedFrom !== undefined ? { relayedFrom: a.relayedFrom } : {}),
        });
        // A membership change also wakes its target (an invitee is not yet listening).
        const woken =
          pdu.type === 'm.room.member' && pdu.state_key ? [roomId, pdu.state_key] : [roomId];
        tx.afterCommit(() => ctx.notifier.notify(woken));
      }
      const outcome = softFailed ? ('soft_failed' as const) : ('accepted' as const);
      return { outcome: { eventId, outcome, streamOrdering }, group };
    },
    unitOptions(a),
  );
  if (currentAfter && remaining.length === 0) {
    // The event is the room's one forward extremity now: the head moves onto it, so the
    // room's next event (local, or the next of a transaction) need not reload it.
    ctx.roomHeads.set({
      roomId,
      version,
      prevEvents: [{ eventId, sha256: pdu.hashes.sha256 }],
      depth: pdu.depth,
      stateGroup: group,
      state: currentAfter,
      lineage: { lost: false },
      parsed: head.parsed,
      committed: true,
    });
  } else if (currentAfter) {
    // A fork: the next local event reloads the head and merges the extremities.
    ctx.roomHeads.forget(roomId);
  }
  // Soft-failed: neither the extremities nor the current state moved; the head holds.
  return outcome;
}

/** Stores a rejected event: row, JSON and edges, no state, no extremity, never served. */
async function writeRejected(
  ctx: Ctx,
  a: RemoteEvent,
  reason: string,
): Promise<RemoteEventOutcome> {
  const { eventId, roomId, pdu } = a;
  ctx.log.info({ eventId, roomId, reason }, 'rejected an event from another server');
  return ctx.writer.transaction(
    'persist_rejected_event',
    async (tx) => {
      const streamOrdering = await store.insertPdu(tx, {
        eventId,
        roomId,
        pdu,
        rejectedReason: reason,
        stateGroup: null,
      });
      return { eventId, outcome: 'rejected', reason, streamOrdering } as const;
    },
    unitOptions(a),
  );
}

function unitOptions(a: RemoteEvent): UnitOptions {
  return { durable: a.durable ?? true };
}

/** The ids of the state events of `state` the auth rules read for `event`. */
export function authIdsIn(event: AuthEvent, state: StateMap, version: RoomVersion): string[] {
  const keys = [['m.room.create', ''], ...authEventsNeeded(event, version)] as const;
  return [
    ...new Set(
      keys
        .map(([t, k]) => state.get(stateKeyId(t, k)))
        .filter((id): id is string => id !== undefined),
    ),
  ];
}

/** An AuthState over a list of events (the last one of a (type, state_key) wins). */
export function lookup(events: readonly AuthEvent[]) {
  const byKey = new Map<string, AuthEvent>();
  for (const e of events)
    if (e.state_key !== undefined) byKey.set(stateKeyId(e.type, e.state_key), e);
  return (type: string, key: string) => byKey.get(stateKeyId(type, key));
}

/**
 * A fetch whose events are read once per use: the auth events of an event, of the state
 * before it and of the current state are mostly the same few, checked three times.
 */
function memoisedEvents(fetch: StateResFetch): StateResFetch {
  const known = new Map<string, StateResEvent>();
  return {
    authChain: (ids) => fetch.authChain(ids),
    async events(ids) {
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length) for (const [id, e] of await fetch.events(missing)) known.set(id, e);
      const out = new Map<string, StateResEvent>();
      for (const id of ids) {
        const e = known.get(id);
        if (e) out.set(id, e);
      }
      return out;
    },
  };
}
