import type { Ctx } from '../context.js';
import type { Queryable, Tx } from '../db/sql.js';
import { splitStateKeyId, stateDelta, stateKeyId, type StateMap } from './state-map.js';
import * as store from './state-store.js';

/**
 * The state after each event is kept as a state group: a delta over the group it builds on,
 * with a full snapshot every SNAPSHOT_INTERVAL deltas so that loading a group reads a
 * bounded chain (one recursive query). Groups never change once written, so loaded states
 * are cached by group id. See docs/events-design.md.
 */

export const SNAPSHOT_INTERVAL = 64;

/**
 * The states built here from the database. They are shared through the cache and never
 * changed (see above), so what is derived from one of them alone can be kept with it
 * (sync-rooms.ts keeps a room's member summary in a WeakMap keyed by the state).
 */
const loadedStates = new WeakSet<StateMap>();

/** Whether `state` was loaded by loadStateGroup(s): an immutable state, shared. */
export function isLoadedState(state: StateMap): boolean {
  return loadedStates.has(state);
}

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
  loadedStates.add(state);
  ctx.caches.stateGroups.set(groupId, state);
  return state;
}

/**
 * The states of several groups, as loadStateGroup. Those not cached are read together: one
 * query for all their chains (a room's groups mostly build on one another, so the chains
 * overlap), each group then built once over the group it builds on, and every group built
 * on the way cached. An initial /sync asks for the group before each state event it
 * serves: thousands of groups, one query each before. Throws when a group does not exist.
 */
export async function loadStateGroups(
  ctx: Ctx,
  groupIds: readonly number[],
): Promise<Map<number, StateMap>> {
  const out = new Map<number, StateMap>();
  const missing: number[] = [];
  for (const id of groupIds) {
    const cached = ctx.caches.stateGroups.get(id);
    if (cached) out.set(id, cached);
    else missing.push(id);
  }
  if (missing.length <= 1) {
    for (const id of missing) out.set(id, await loadStateGroup(ctx, id));
    return out;
  }
  const groups = new Map<
    number,
    { prev: number | null; entries: { type: string; stateKey: string; eventId: string | null }[] }
  >();
  for (let i = 0; i < missing.length; i += 500) {
    // Chains read for an earlier chunk may come again: their groups are complete already.
    const done = new Set(groups.keys());
    for (const e of await getStateGroupChainsEntries(ctx.db, missing.slice(i, i + 500))) {
      if (done.has(e.id)) continue;
      let g = groups.get(e.id);
      if (!g) groups.set(e.id, (g = { prev: e.prev_group, entries: [] }));
      if (e.type !== null && e.state_key !== null) {
        g.entries.push({ type: e.type, stateKey: e.state_key, eventId: e.event_id });
      }
    }
  }
  const built = new Map<number, StateMap>();
  // Iterative, oldest first along each chain (a chain is at most SNAPSHOT_INTERVAL long).
  const build = (id: number): StateMap | undefined => {
    const path: number[] = [];
    let base: StateMap | undefined;
    for (let at: number | null = id; at !== null;) {
      base = built.get(at) ?? ctx.caches.stateGroups.get(at);
      if (base) break;
      const g = groups.get(at);
      // A group missing from the chain: as loadStateGroup's query, the chain stops there.
      if (!g) break;
      path.push(at);
      at = g.prev;
    }
    if (!path.length) return base;
    for (let i = path.length - 1; i >= 0; i--) {
      const gid = path[i]!;
      const state = new Map(base);
      for (const e of groups.get(gid)!.entries) {
        const k = stateKeyId(e.type, e.stateKey);
        if (e.eventId === null) state.delete(k);
        else state.set(k, e.eventId);
      }
      built.set(gid, state);
      loadedStates.add(state);
      ctx.caches.stateGroups.set(gid, state);
      base = state;
    }
    return base;
  };
  for (const id of missing) {
    // An unknown group: loadStateGroup throws for it.
    out.set(id, groups.has(id) ? build(id)! : await loadStateGroup(ctx, id));
  }
  return out;
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

interface GroupEntry {
  /** The group, and the group it builds on (null for a snapshot). */
  id: number;
  prev_group: number | null;
  /** Null for a group without entries. */
  type: string | null;
  state_key: string | null;
  event_id: string | null;
}

/**
 * The entries of the groups `ids` and of every group they build on, back to their
 * snapshots, in one query: each group once (chains that meet are read once). (Here rather
 * than in state-store.ts with the other state-group SQL only because of who edits what.)
 */
function getStateGroupChainsEntries(q: Queryable, ids: readonly number[]): Promise<GroupEntry[]> {
  return q.all<GroupEntry>(
    `WITH RECURSIVE chain (id, prev_group) AS (
       SELECT id, prev_group FROM state_groups WHERE id IN (${ids.map(() => '?').join(',')})
       UNION
       SELECT g.id, g.prev_group FROM state_groups g JOIN chain c ON g.id = c.prev_group
     )
     SELECT c.id, c.prev_group, e.type, e.state_key, e.event_id
     FROM chain c LEFT JOIN state_group_entries e ON e.group_id = c.id`,
    ...ids,
  );
}
