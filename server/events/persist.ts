import { randomString } from '../core/clock.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { authEventsNeeded, checkEventAuth, type AuthEvent } from './auth/check.js';
import { buildLocalEvent, type BuiltEvent } from './build.js';
import { runEventHooks } from './event-hooks.js';
import { txnRef } from './client-txns.js';
import { referencedEventIds, type Pdu } from './event-format.js';
import { parsedStateEvents, rememberParsed, type RoomHead } from './room-heads.js';
import type { RoomVersion } from './room-versions.js';
import { loadStateGroup, storeStateGroup } from './state-groups.js';
import { stateKeyId } from './state-map.js';
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
  // A v12 room id is the hash of its create event, so two rooms that one user creates with
  // the same content in the same millisecond would get the same id: the next attempt
  // moves the event's timestamp on by a millisecond (other versions draw a random id).
  for (let attempt = 0; ; attempt++) {
    try {
      return await createRoomOnce(ctx, args, attempt);
    } catch (err) {
      if (!(err instanceof RoomIdCollision) || attempt >= 20) throw err;
    }
  }
}

class RoomIdCollision extends MatrixError {
  constructor() {
    super('M_UNKNOWN', 'Room id collision; retry', 400);
  }
}

async function createRoomOnce(
  ctx: Ctx,
  args: { version: RoomVersion; sender: string; content: Record<string, unknown> },
  attempt: number,
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
    originServerTs: ctx.clock.now() + attempt,
  });
  const verdict = checkEventAuth(asAuthEvent(built.pdu), () => undefined, version);
  if (!verdict.ok) throw forbidden(verdict.reason, verdict.rule);
  return ctx.roomQueue.run(built.roomId, () =>
    ctx.writer.transaction('create_room', async (tx) => {
      if (await store.getRoom(tx, built.roomId)) throw new RoomIdCollision();
      await store.insertRoom(tx, {
        roomId: built.roomId,
        version: version.id,
        creator: sender,
        createdTs: ctx.clock.now(),
      });
      const state = new Map([[stateKeyId('m.room.create', ''), built.eventId]]);
      const group = await storeStateGroup(ctx, tx, { roomId: built.roomId, prev: null, state });
      const streamOrdering = await writeEvent(tx, built, group);
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
 * Sends an event made on this server into an existing room; resolves once it is committed.
 * Throws 404 M_NOT_FOUND for an unknown room and 403 M_FORBIDDEN (naming the rule) when
 * the authorization rules refuse it; nothing is written then.
 *
 * The room's queue is held only while the event is built and authorized on the room head
 * (room-heads.ts), not until its commit: the room's next events build on the head this one
 * leaves and can share its commit, so a busy room is not limited to one event per fsync.
 */
export async function sendLocalEvent(ctx: Ctx, ev: LocalEvent): Promise<PersistedEvent> {
  const { committed } = await ctx.roomQueue.run(ev.roomId, () => sequenceLocalEvent(ctx, ev));
  return committed;
}

/**
 * In the room's queue: builds and authorizes the event on the room head, advances the
 * head and queues the writer unit. Returns the commit to wait for, wrapped so the queue
 * does not wait for it.
 */
async function sequenceLocalEvent(
  ctx: Ctx,
  ev: LocalEvent,
): Promise<{ committed: Promise<PersistedEvent> }> {
  const txn = ev.txn ? txnRef({ userId: ev.sender, ...ev.txn }) : null;
  if (txn) {
    // Inside the room's queue, so a retry racing the first request finds it in flight or
    // committed: the first stays in flight until its commit is durable.
    const pending = ctx.clientTxns.inFlight(txn);
    if (pending) return { committed: pending };
    const earlier = await ctx.clientTxns.lookup(ctx.db, txn, ctx.clock.now());
    if (earlier) return { committed: loadPersisted(ctx, earlier) };
  }
  const base = await ctx.roomHeads.get(ctx.db, ev.roomId, (g) => loadStateGroup(ctx, g));
  const { version } = base;
  const stateBefore = base.state;
  const draftForAuth: AuthEvent = {
    type: ev.type,
    sender: ev.sender,
    content: ev.content,
    room_id: ev.roomId,
    ...(ev.stateKey !== undefined ? { state_key: ev.stateKey } : {}),
  };
  // Once each: a membership change of one's own names the sender's member event twice, and
  // other servers reject auth_events that list an event twice (auth rules 1.1 / 2.1).
  const authIds = [
    ...new Set(
      authEventsNeeded(draftForAuth, version)
        .map(([type, key]) => stateBefore.get(stateKeyId(type, key)))
        .filter((id): id is string => id !== undefined),
    ),
  ];
  const createId = stateBefore.get(stateKeyId('m.room.create', ''));
  const parsed = await parsedStateEvents(ctx.db, base, createId ? [createId, ...authIds] : authIds);
  const byKey = new Map<string, AuthEvent>();
  for (const { event } of parsed.values()) {
    byKey.set(stateKeyId(event.type, event.state_key ?? ''), event);
  }
  const built = buildLocalEvent(ctx, version, {
    type: ev.type,
    stateKey: ev.stateKey,
    sender: ev.sender,
    content: ev.content,
    roomId: ev.roomId,
    redacts: ev.redacts,
    prevEvents: base.prevEvents,
    authEvents: authIds.map((id) => ({ eventId: id, sha256: parsed.get(id)!.sha256 })),
    depth: base.depth + 1,
  });
  const verdict = checkEventAuth(
    asAuthEvent(built.pdu),
    (type, key) => byKey.get(stateKeyId(type, key)),
    version,
  );
  if (!verdict.ok) throw forbidden(verdict.reason, verdict.rule);
  const isState = ev.stateKey !== undefined;
  const stateAfter = isState
    ? new Map(stateBefore).set(stateKeyId(ev.type, ev.stateKey!), built.eventId)
    : stateBefore;
  // Advance the head now: the room's next event builds on this one before it is written.
  const { mergeBase: _merged, ...rest } = base;
  const head: RoomHead = {
    ...rest,
    prevEvents: [{ eventId: built.eventId, sha256: built.pdu.hashes.sha256 }],
    depth: built.pdu.depth,
    stateGroup: isState ? undefined : base.stateGroup,
    state: stateAfter,
    committed: false,
  };
  if (isState) {
    rememberParsed(base, built.eventId, {
      event: asAuthEvent(built.pdu, built.eventId),
      sha256: built.pdu.hashes.sha256,
    });
  }
  ctx.roomHeads.set(head);

  const committed = ctx.writer.transaction('persist_event', async (tx) => {
    if (head.lineage.lost) {
      // An earlier event of the room, which this one builds on, was not written.
      throw errors.unknown('The room changed while this event was being sent; retry');
    }
    try {
      // The base's unit ran before this one (units run in queue order), so its group is
      // set; a base that merged forks has its resolved state written by its first event.
      if (base.stateGroup === undefined && base.mergeBase) {
        base.stateGroup = await storeStateGroup(ctx, tx, {
          roomId: ev.roomId,
          prev: base.mergeBase,
          state: stateBefore,
        });
      }
      const group = await storeStateGroup(ctx, tx, {
        roomId: ev.roomId,
        prev: { groupId: base.stateGroup!, state: stateBefore },
        state: stateAfter,
      });
      head.stateGroup = group;
      const streamOrdering = await writeEvent(
        tx,
        built,
        group,
        ev.txn && { deviceId: ev.txn.deviceId, txnId: ev.txn.txnId },
      );
      if (isState) {
        await store.setCurrentStateEntry(tx, ev.roomId, ev.type, ev.stateKey!, built.eventId);
      }
      if (txn) await ctx.clientTxns.record(tx, txn, built.eventId, ctx.clock.now());
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
      // Long-polls are woken at the commit, not after its fsync: they build their answers
      // while the WAL is flushed, and hold them until it is (sync/sync.ts).
      tx.onCommit(() => ctx.notifier.notify(woken));
      tx.afterCommit(() => {
        head.committed = true;
      });
      return { eventId: built.eventId, roomId: ev.roomId, streamOrdering, pdu: built.pdu };
    } catch (err) {
      // Later units of this lineage must not run on an event that is not there.
      head.lineage.lost = true;
      throw err;
    }
  });
  if (txn) ctx.clientTxns.track(txn, committed);
  committed.catch(() => {
    // The batch has settled: every good unit before this one is committed.
    ctx.roomHeads.drop(head);
  });
  return { committed };
}

async function loadPersisted(ctx: Ctx, eventId: string): Promise<PersistedEvent> {
  const row = (await store.getEventRow(ctx.db, eventId))!;
  const pdu = JSON.parse((await store.getEventJson(ctx.db, eventId))!) as Pdu;
  return { eventId, roomId: row.room_id, streamOrdering: row.stream_ordering, pdu };
}

/**
 * Inserts the event's row (with the client transaction it was sent with, if any), JSON,
 * auth chain and extremity; returns its position.
 */
async function writeEvent(
  tx: Parameters<typeof store.insertEvent>[0],
  built: BuiltEvent,
  stateGroup: number,
  txn?: store.EventTxn | undefined,
): Promise<number> {
  const { eventId, roomId, pdu } = built;
  const prevIds = referencedEventIds(pdu.prev_events);
  const streamOrdering = await store.insertPdu(tx, {
    eventId,
    roomId,
    pdu,
    json: built.json,
    rejectedReason: null,
    stateGroup,
    txn,
  });
  await store.insertAuthChain(
    tx,
    eventId,
    referencedEventIds(pdu.auth_events),
    pdu.state_key !== undefined,
  );
  await store.advanceForwardExtremities(tx, roomId, eventId, prevIds);
  return streamOrdering;
}

function asAuthEvent(pdu: Pdu, eventId?: string): AuthEvent {
  return { ...(pdu as unknown as AuthEvent), ...(eventId ? { event_id: eventId } : {}) };
}

function forbidden(reason: string, rule: string): MatrixError {
  return new MatrixError('M_FORBIDDEN', `${reason} (authorization rule ${rule})`, 403);
}
