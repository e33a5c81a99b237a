import type { Queryable } from '../db/sql.js';

/** SQL for state groups: the state after an event, as deltas over earlier groups. */

export interface StateGroupRow {
  id: number;
  room_id: string;
  prev_group: number | null;
  delta_depth: number;
}

export function getStateGroup(q: Queryable, id: number): Promise<StateGroupRow | undefined> {
  return q.get<StateGroupRow>('SELECT * FROM state_groups WHERE id = ?', id);
}

export async function insertStateGroup(
  q: Queryable,
  g: { roomId: string; prevGroup: number | null; deltaDepth: number },
): Promise<number> {
  const r = await q.run(
    'INSERT INTO state_groups (room_id, prev_group, delta_depth) VALUES (?, ?, ?)',
    g.roomId,
    g.prevGroup,
    g.deltaDepth,
  );
  return r.lastInsertRowid;
}

export async function insertStateGroupEntry(
  q: Queryable,
  groupId: number,
  type: string,
  stateKey: string,
  eventId: string | null,
): Promise<void> {
  await q.run(
    'INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES (?, ?, ?, ?)',
    groupId,
    type,
    stateKey,
    eventId,
  );
}

export interface ChainEntry {
  /** 0 for the group asked for, 1 for its prev_group, ... */
  n: number;
  type: string;
  state_key: string;
  event_id: string | null;
}

/**
 * Every entry of a group and of the groups it builds on, back to its snapshot, in one
 * query; the deepest (the snapshot) first, so applying them in order gives the state.
 */
export function getStateGroupChainEntries(q: Queryable, id: number): Promise<ChainEntry[]> {
  return q.all<ChainEntry>(
    `WITH RECURSIVE chain (id, prev_group, n) AS (
       SELECT id, prev_group, 0 FROM state_groups WHERE id = ?
       UNION ALL
       SELECT g.id, g.prev_group, c.n + 1 FROM state_groups g JOIN chain c ON g.id = c.prev_group
     )
     SELECT c.n, e.type, e.state_key, e.event_id
     FROM chain c JOIN state_group_entries e ON e.group_id = c.id
     ORDER BY c.n DESC`,
    id,
  );
}
