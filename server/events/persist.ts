import { randomString } from '../core/clock.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { authEventsNeeded, checkEventAuth, type AuthEvent } from './auth/check.js';
import { buildLocalEvent, type EventRef } from './build.js';
import { runEventHooks } from './event-hooks.js';
import type { Pdu } from './event-format.js';
import { roomVersion, type RoomVersion } from './room-versions.js';
import { loadStateGroup, storeStateGroup } from './state-groups.js';
import { stateKeyId, type StateMap } from './state-map.js';
import * as store from './store.js';

/**
 * The persist path for events made on this server (docs/events-design.md): in the room's
 * queue, build the event on the room's forward extremity, authorize it against the state
 * before it, compute the state after it, and write everything in one writer unit; after
 * the commit, wake the room's sync waiters. Events from other servers will take the same
 * path from the authorization step on (federation).
 */

export interface PersistedEvent {
  eventId: string;
  roomId: string;
  streamOrdering: number;
  pdu: Pdu;
}

export interface LocalEvent {
  roomId: string;
  type: string;
  stateKey?: string | undefined;
  sender: string;
  content: Record<string, unknown>;
  redacts?: string | undefined;
  /**
   * The client's transaction: a retry with the same id, device and scope (the request it
   * came in: endpoint, room and type or target) returns the first event.
   */
  txn?: { deviceId: string; scope: string; txnId: string } | undefined;
}

/**
 * Creates a room: persists its m.room.create event as the first event of the DAG and
 * records the room. The room id is random (`!opaque:server`), or in v12 made from the
 * create event. The caller sends the rest of the initial state with sendLocalEvent.
 */
export async function createRoomWithCreateEvent(
  ctx: Ctx,
  args: { version: RoomVersion; sender: string; content: Record<string, unknown> },
): Promise<PersistedEvent> {
  const { version, sender } = args;
  const content = version.implicitRoomCreator
    ? { ...args.content, room_version: version.id }
    : { ...args.content, creator: sender, room_version: version.id };
  const built = buildLocalEvent(ctx, version, {
    type: 'm.room.create',
    stateKey: '',
    sender,
    content,
    roomId: version.roomIdFromCreateEvent
      ? null
      : `!${randomString(ctx.random, 18)}:${ctx.config.serverName}`,
    prevEvents: [],
    authEvents: [],
    depth: 1,
  });
  const verdict = checkEventAuth(asAuthEvent(built.pdu), () => undefined, version);
  if (!verdict.ok) throw forbidden(verdict.reason, verdict.rule);
  return ctx.roomQueue.run(built.roomId, () =>
    ctx.writer.transaction('create_room', async (tx) => {
      if (await store.getRoom(tx, built.roomId)) throw errors.unknown('Room id collision; retry');
      await store.insertRoom(tx, {
        roomId: built.roomId,
        version: version.id,
        creator: sender,
        createdTs: ctx.clock.now(),
      });
      const state = new Map([[stateKeyId('m.room.create', ''), built.eventId]]);
      const group = await storeStateGroup(ctx, tx, { roomId: built.roomId, prev: null, state });
      const streamOrdering = await writeEvent(tx, built.roomId, built.eventId, built.pdu, group);
      await store.setCurrentStateEntry(tx, built.roomId, 'm.room.create', '', built.eventId);
      await runEventHooks(ctx, tx, {
        eventId: built.eventId,
        roomId: built.roomId,
        streamOrdering,
        pdu: built.pdu,
        version,
        stateAfter: state,
      });
      tx.afterCommit(() => ctx.notifier.notify([built.roomId]));
      return { eventId: built.eventId, roomId: built.roomId, streamOrdering, pdu: built.pdu };
    }),
  );
}

/**
 * Sends an event made on this server into an existing room. Throws 404 M_NOT_FOUND for
 * an unknown room and 403 M_FORBIDDEN (naming the rule) when the authorization rules
 * refuse it; nothing is written then.
 */
export function sendLocalEvent(ctx: Ctx, ev: LocalEvent): Promise<PersistedEvent> {
  return ctx.roomQueue.run(ev.roomId, () => persistLocalEvent(ctx, ev));
}

async function persistLocalEvent(ctx: Ctx, ev: LocalEvent): Promise<PersistedEvent> {
  const txnKey = ev.txn ? { userId: ev.sender, ...ev.txn } : null;
  if (txnKey) {
    // Inside the room's queue, so a retry racing the first request sees its commit.
    const earlier = await store.getTxnEvent(ctx.db, txnKey);
    if (earlier) return loadPersisted(ctx, earlier);
  }
  const room = await store.getRoom(ctx.db, ev.roomId);
  if (!room) throw errors.notFound(`Unknown room ${ev.roomId}`);
  const version = roomVersion(room.room_version);
  if (!version) throw new Error(`room ${ev.roomId} has unknown version ${room.room_version}`);
  const extremities = await store.getForwardExtremities(ctx.db, ev.roomId);
  if (extremities.length !== 1) {
    // Only federation forks a room's DAG; merging forks needs state resolution.
    throw new Error(`room ${ev.roomId} has ${extremities.length} forward extremities`);
  }
  const prevRow = (await store.getEventRow(ctx.db, extremities[0]!))!;
  const stateBefore = await loadStateGroup(ctx, prevRow.state_group!);
  const draftForAuth: AuthEvent = {
    type: ev.type,
    sender: ev.sender,
    content: ev.content,
    room_id: ev.roomId,
    ...(ev.stateKey !== undefined ? { state_key: ev.stateKey } : {}),
  };
  const authIds = authEventsNeeded(draftForAuth, version)
    .map(([type, key]) => stateBefore.get(stateKeyId(type, key)))
    .filter((id): id is string => id !== undefined);
  const lookup = await loadAuthState(ctx, stateBefore, [...authIds]);
  const built = buildLocalEvent(ctx, version, {
    type: ev.type,
    stateKey: ev.stateKey,
    sender: ev.sender,
    content: ev.content,
    roomId: ev.roomId,
    redacts: ev.redacts,
    prevEvents: [await eventRef(ctx, prevRow.event_id)],
    authEvents: await Promise.all(authIds.map((id) => eventRef(ctx, id))),
    depth: prevRow.depth + 1,
  });
  const verdict = checkEventAuth(asAuthEvent(built.pdu), lookup, version);
  if (!verdict.ok) throw forbidden(verdict.reason, verdict.rule);
  const stateAfter =
    ev.stateKey === undefined
      ? stateBefore
      : new Map(stateBefore).set(stateKeyId(ev.type, ev.stateKey), built.eventId);
  return ctx.writer.transaction('persist_event', async (tx) => {
    const group = await storeStateGroup(ctx, tx, {
      roomId: ev.roomId,
      prev: { groupId: prevRow.state_group!, state: stateBefore },
      state: stateAfter,
    });
    const streamOrdering = await writeEvent(tx, ev.roomId, built.eventId, built.pdu, group);
    if (ev.stateKey !== undefined) {
      await store.setCurrentStateEntry(tx, ev.roomId, ev.type, ev.stateKey, built.eventId);
    }
    if (txnKey) {
      await store.insertTxnEvent(tx, {
        ...txnKey,
        eventId: built.eventId,
        createdTs: ctx.clock.now(),
      });
    }
    await runEventHooks(ctx, tx, {
      eventId: built.eventId,
      roomId: ev.roomId,
      streamOrdering,
      pdu: built.pdu,
      version,
      stateAfter,
    });
    // A membership change also wakes its target: an invitee is not yet listening on the room.
    const woken =
      ev.type === 'm.room.member' && ev.stateKey ? [ev.roomId, ev.stateKey] : [ev.roomId];
    tx.afterCommit(() => ctx.notifier.notify(woken));
    return { eventId: built.eventId, roomId: ev.roomId, streamOrdering, pdu: built.pdu };
  });
}

async function loadPersisted(ctx: Ctx, eventId: string): Promise<PersistedEvent> {
  const row = (await store.getEventRow(ctx.db, eventId))!;
  const pdu = JSON.parse((await store.getEventJson(ctx.db, eventId))!) as Pdu;
  return { eventId, roomId: row.room_id, streamOrdering: row.stream_ordering, pdu };
}

/** Inserts the event's row, JSON, DAG edges, auth chain and extremity; returns its position. */
async function writeEvent(
  tx: Parameters<typeof store.insertEvent>[0],
  roomId: string,
  eventId: string,
  pdu: Pdu,
  stateGroup: number,
): Promise<number> {
  const prevIds = refIds(pdu.prev_events);
  const streamOrdering = await store.insertEvent(tx, {
    eventId,
    roomId,
    type: pdu.type,
    stateKey: pdu.state_key ?? null,
    sender: pdu.sender,
    depth: pdu.depth,
    originServerTs: pdu.origin_server_ts,
    outlier: false,
    rejectedReason: null,
    stateGroup,
    json: JSON.stringify(pdu),
  });
  await store.insertEdges(tx, eventId, prevIds);
  await store.insertAuthChain(tx, eventId, refIds(pdu.auth_events));
  await store.advanceForwardExtremities(tx, roomId, eventId, prevIds);
  return streamOrdering;
}

function refIds(refs: Pdu['prev_events']): string[] {
  return refs.map((r) => (typeof r === 'string' ? r : r[0]));
}

/** The auth rules' view of the state before an event: the create event and `ids`, loaded. */
async function loadAuthState(
  ctx: Ctx,
  state: StateMap,
  ids: string[],
): Promise<(type: string, stateKey: string) => AuthEvent | undefined> {
  const createId = state.get(stateKeyId('m.room.create', ''));
  const byKey = new Map<string, AuthEvent>();
  for (const id of new Set(createId ? [createId, ...ids] : ids)) {
    const json = await store.getEventJson(ctx.db, id);
    if (!json) throw new Error(`state event ${id} is missing`);
    const e = asAuthEvent(JSON.parse(json) as Pdu, id);
    byKey.set(stateKeyId(e.type, e.state_key ?? ''), e);
  }
  return (type, stateKey) => byKey.get(stateKeyId(type, stateKey));
}

async function eventRef(ctx: Ctx, eventId: string): Promise<EventRef> {
  const json = await store.getEventJson(ctx.db, eventId);
  if (!json) throw new Error(`event ${eventId} is missing`);
  return { eventId, sha256: (JSON.parse(json) as Pdu).hashes.sha256 };
}

function asAuthEvent(pdu: Pdu, eventId?: string): AuthEvent {
  return { ...(pdu as unknown as AuthEvent), ...(eventId ? { event_id: eventId } : {}) };
}

function forbidden(reason: string, rule: string): MatrixError {
  return new MatrixError('M_FORBIDDEN', `${reason} (authorization rule ${rule})`, 403);
}
