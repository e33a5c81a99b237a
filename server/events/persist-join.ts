import { settleRoomWrites } from './room-heads.js';
import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { runEventHooks } from './event-hooks.js';
import { referencedEventIds, type Pdu } from './event-format.js';
import type { RoomVersion } from './room-versions.js';
import { storeStateGroup } from './state-groups.js';
import { splitStateKeyId, stateDelta, stateKeyId, type StateMap } from './state-map.js';
import * as store from './store.js';

/**
 * The persist path of a join made through another server (spec server-server "Joining
 * Rooms"; federation/joins/remote-join.ts checks the resident server's answer first). This
 * server has none of the room's history: the room's state before the join, and the auth
 * chain of that state, arrive together and are stored as outliers (events known by id, not
 * part of the timeline: never served as timeline events, no state of their own). The join
 * is then the room's first event here: its state before is the state received (a state
 * group of its own, which the join's group builds on, so "the state before the join" is
 * that group), it becomes the forward extremity, and the current state is that state and
 * the join. All of it commits in one writer unit, or none of it.
 */

export interface StoredEvent {
  eventId: string;
  pdu: Pdu;
}

export interface RemoteJoin {
  version: RoomVersion;
  roomId: string;
  /** The room's creator, for the rooms table (the create event's sender). */
  creator: string | null;
  /** The state before the join and its auth chain (checked by the caller), any order. */
  outliers: StoredEvent[];
  /** The state before the join: (type, state_key) -> id of one of `outliers`. */
  stateBefore: StateMap;
  join: StoredEvent;
}

/**
 * Persists a join made through another server; resolves with the join's stream position
 * once committed (or at once, when the join is stored already). Events already stored are
 * kept as they are.
 */
export function persistRemoteJoin(ctx: Ctx, a: RemoteJoin): Promise<{ streamOrdering: number }> {
  return ctx.roomQueue.run(a.roomId, async () => {
    // Local events of the room (a rejoin) may be in the writer: let them commit first.
    await settleRoomWrites(ctx.roomHeads, ctx.writer, a.roomId);
    const known = await store.getEventRow(ctx.db, a.join.eventId);
    if (known) return { streamOrdering: known.stream_ordering };
    const out = await ctx.writer.transaction('persist_remote_join', (tx) => writeJoin(ctx, tx, a));
    // The room's DAG moved without the head: the next local event reloads it.
    ctx.roomHeads.forget(a.roomId);
    return out;
  });
}

async function writeJoin(ctx: Ctx, tx: Tx, a: RemoteJoin): Promise<{ streamOrdering: number }> {
  const { roomId, join, version } = a;
  if (!(await store.getRoom(tx, roomId))) {
    await store.insertRoom(tx, {
      roomId,
      version: version.id,
      creator: a.creator,
      createdTs: ctx.clock.now(),
    });
  }
  for (const e of authOrder(a.outliers)) {
    if (await store.getEventRow(tx, e.eventId)) continue;
    await insertOutlier(tx, roomId, e);
  }

  const groupBefore = await storeStateGroup(ctx, tx, {
    roomId,
    prev: null,
    state: a.stateBefore,
  });
  const stateAfter = new Map(a.stateBefore).set(
    stateKeyId('m.room.member', join.pdu.state_key!),
    join.eventId,
  );
  const group = await storeStateGroup(ctx, tx, {
    roomId,
    prev: { groupId: groupBefore, state: a.stateBefore },
    state: stateAfter,
  });
  const prevIds = referencedEventIds(join.pdu.prev_events);
  const streamOrdering = await store.insertPdu(tx, {
    eventId: join.eventId,
    roomId,
    pdu: join.pdu,
    rejectedReason: null,
    stateGroup: group,
  });
  await store.insertAuthChain(tx, join.eventId, referencedEventIds(join.pdu.auth_events), true);
  // The join is the only extremity: what this server knew of the room before (a rejoin)
  // is history the resident server's DAG already holds.
  const old = await store.getForwardExtremities(tx, roomId);
  await store.advanceForwardExtremities(tx, roomId, join.eventId, [...old, ...prevIds]);
  const current = new Map(
    (await store.getCurrentState(tx, roomId)).map((r) => [
      stateKeyId(r.type, r.state_key),
      r.event_id,
    ]),
  );
  for (const [k, id] of stateDelta(current, stateAfter)) {
    const [type, stateKey] = splitStateKeyId(k);
    await store.setCurrentStateEntry(tx, roomId, type, stateKey, id);
  }
  await runEventHooks(ctx, tx, {
    eventId: join.eventId,
    roomId,
    streamOrdering,
    pdu: join.pdu,
    version,
    stateAfter,
  });
  tx.afterCommit(() => ctx.notifier.notify([roomId, join.pdu.state_key!]));
  return { streamOrdering };
}

/**
 * An outlier: its row (never served), JSON and auth chain; no edges, no state group. Also
 * used for the state fetched at a gap (events/persist-historical.ts).
 */
export async function insertOutlier(tx: Tx, roomId: string, e: StoredEvent): Promise<void> {
  await store.insertPdu(tx, {
    eventId: e.eventId,
    roomId,
    pdu: e.pdu,
    outlier: true,
    rejectedReason: null,
    stateGroup: null,
  });
  await store.insertAuthChain(
    tx,
    e.eventId,
    referencedEventIds(e.pdu.auth_events),
    e.pdu.state_key !== undefined,
  );
}

/**
 * The events with every event's auth events before it (insertAuthChain copies the chains
 * of the auth events, so they must be written first). Auth events not among `list` are
 * taken as stored already.
 */
export function authOrder(list: readonly StoredEvent[]): StoredEvent[] {
  const byId = new Map(list.map((e) => [e.eventId, e]));
  const out: StoredEvent[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  for (const start of list) {
    if (state.has(start.eventId)) continue;
    // Iterative depth-first walk: auth chains can be thousands of events deep.
    const stack: { e: StoredEvent; next: number; auth: string[] }[] = [];
    const push = (e: StoredEvent) => {
      state.set(e.eventId, 'visiting');
      stack.push({ e, next: 0, auth: referencedEventIds(e.pdu.auth_events) });
    };
    push(start);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const id = top.auth[top.next++];
      if (id === undefined) {
        stack.pop();
        state.set(top.e.eventId, 'done');
        out.push(top.e);
        continue;
      }
      const dep = byId.get(id);
      // A cycle (only server-made v1/v2 ids allow one): skipping the edge keeps this total.
      if (dep && !state.has(id)) push(dep);
    }
  }
  return out;
}
