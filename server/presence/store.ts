import type { Queryable } from '../db/sql.js';
import type { PresenceRecord, PresenceState } from './state.js';

/**
 * SQL for presence (migration 0008): one row per local user whose presence was ever set.
 * A change clients see takes the next stream position, `max(stream_id) + 1`, inside the
 * writer unit that makes it; rows are replaced, never deleted, so the maximum never goes back.
 */

export interface PresenceRow extends PresenceRecord {
  userId: string;
  streamId: number;
}

interface Raw {
  user_id: string;
  state: PresenceState;
  status_msg: string | null;
  last_active_ts: number;
  last_sync_ts: number;
  currently_active: number;
  stream_id: number;
}

const COLUMNS =
  'user_id, state, status_msg, last_active_ts, last_sync_ts, currently_active, stream_id';

function toRow(r: Raw): PresenceRow {
  return {
    userId: r.user_id,
    state: r.state,
    statusMsg: r.status_msg,
    lastActiveTs: r.last_active_ts,
    lastSyncTs: r.last_sync_ts,
    currentlyActive: r.currently_active === 1,
    streamId: r.stream_id,
  };
}

/** The newest position of the presence stream (0 when empty). */
export async function getPresenceStreamId(q: Queryable): Promise<number> {
  return (await q.get<{ id: number | null }>('SELECT max(stream_id) AS id FROM presence'))?.id ?? 0;
}

/** A user's presence row, if their presence was ever set. */
export async function getPresence(q: Queryable, userId: string): Promise<PresenceRow | undefined> {
  const r = await q.get<Raw>(`SELECT ${COLUMNS} FROM presence WHERE user_id = ?`, userId);
  return r && toRow(r);
}

/**
 * Writes a user's presence. With `bump`, the row takes the next stream position (a change
 * clients are told of); without, it keeps its position (timestamps only).
 */
export async function putPresence(
  q: Queryable,
  userId: string,
  rec: PresenceRecord,
  bump: boolean,
): Promise<void> {
  const held = await getPresence(q, userId);
  const streamId = bump || !held ? (await getPresenceStreamId(q)) + 1 : held.streamId;
  await q.run(
    `INSERT INTO presence (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, status_msg = excluded.status_msg,
       last_active_ts = excluded.last_active_ts, last_sync_ts = excluded.last_sync_ts,
       currently_active = excluded.currently_active, stream_id = excluded.stream_id`,
    userId,
    rec.state,
    rec.statusMsg,
    rec.lastActiveTs,
    rec.lastSyncTs,
    rec.currentlyActive ? 1 : 0,
    streamId,
  );
}

/** The rows changed in (since, upTo], oldest first. */
export async function getPresenceChanges(
  q: Queryable,
  since: number,
  upTo: number,
): Promise<PresenceRow[]> {
  const rows = await q.all<Raw>(
    `SELECT ${COLUMNS} FROM presence WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id`,
    since,
    upTo,
  );
  return rows.map(toRow);
}

/** The rows not offline at or before `upTo`: the users time may still change. */
export async function getPresenceNotOffline(q: Queryable, upTo: number): Promise<PresenceRow[]> {
  const rows = await q.all<Raw>(
    `SELECT ${COLUMNS} FROM presence WHERE state != 'offline' AND stream_id <= ? ORDER BY stream_id`,
    upTo,
  );
  return rows.map(toRow);
}
