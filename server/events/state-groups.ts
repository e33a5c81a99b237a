import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import { splitStateKeyId, stateDelta, stateKeyId, type StateMap } from './state-map.js';
import * as store from './state-store.js';

/**
 * The state after each event is kept as a state group: a delta over the group it builds on,
 * with a full snapshot every SNAPSHOT_INTERVAL deltas so that loading a group reads a
 * bounded chain (one recursive query). Groups never change once written, so loaded states
 * are cached by group id. See docs/events-design.md.
 */

export const SNAPSHOT_INTERVAL = 64;

/** The state of a group. Throws when the group does not exist. */
export async function loadStateGroup(ctx: Ctx, groupId: number): Promise<StateMap> {
  const cached = ctx.caches.stateGroups.get(groupId);
  if (cached) return cached;
  const entries = await store.getStateGroupChainEntries(ctx.db, groupId);
  if (!entries.length && !(await store.getStateGroup(ctx.db, groupId))) {
    throw new Error(`state group ${groupId} does not exist`);
  }
  const state = new Map<string, string>();
  for (const e of entries) {
    const k = stateKeyId(e.type, e.state_key);
    if (e.event_id === null) state.delete(k);
    else state.set(k, e.event_id);
  }
  ctx.caches.stateGroups.set(groupId, state);
  return state;
}

/**
 * Writes the group for `state` inside `tx` and returns its id. With no change from the
 * previous group (a message event), the previous group is reused: no row is written.
 * `prev` is the previous group and its state (the state before the event), or null for
 * a room's first event.
 */
export async function storeStateGroup(
  ctx: Ctx,
  tx: Tx,
  args: { roomId: string; prev: { groupId: number; state: StateMap } | null; state: StateMap },
): Promise<number> {
  const { roomId, prev, state } = args;
  let snapshot = prev === null;
  let depth = 0;
  let delta: Map<string, string | null> | null = null;
  if (prev) {
    delta = stateDelta(prev.state, state);
    if (delta.size === 0) return prev.groupId;
    const prevRow = await store.getStateGroup(tx, prev.groupId);
    if (!prevRow) throw new Error(`state group ${prev.groupId} does not exist`);
    depth = prevRow.delta_depth + 1;
    snapshot = depth >= SNAPSHOT_INTERVAL;
  }
  const groupId = await store.insertStateGroup(tx, {
    roomId,
    prevGroup: snapshot ? null : prev!.groupId,
    deltaDepth: snapshot ? 0 : depth,
  });
  const rows: Iterable<[string, string | null]> = snapshot ? state : delta!;
  for (const [k, eventId] of rows) {
    const [type, stateKey] = splitStateKeyId(k);
    await store.insertStateGroupEntry(tx, groupId, type, stateKey, eventId);
  }
  tx.afterCommit(() => ctx.caches.stateGroups.set(groupId, state));
  return groupId;
}
