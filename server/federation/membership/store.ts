import type { Queryable, Tx } from '../../db/sql.js';

/**
 * SQL for remote memberships (migration 0016): local users' invites, knocks and leaves in
 * rooms this server is not in. The member events are outliers in `events`.
 */

export type RemoteMembershipKind = 'invite' | 'knock' | 'leave';

export interface RemoteMembershipRow {
  event_id: string;
  room_id: string;
  user_id: string;
  membership: RemoteMembershipKind;
  room_version: string;
  via_servers: string;
  stripped_state: string;
  stream_ordering: number;
}

/**
 * The SQL condition (on `events e`) for an outlier that is a remote membership: /sync
 * reads these beside served member events (server/sync/wake-memberships.ts).
 */
export const REMOTE_MEMBERSHIP_EVENT = 'e.event_id IN (SELECT event_id FROM remote_memberships)';

export async function insertRemoteMembership(
  tx: Tx,
  r: {
    eventId: string;
    roomId: string;
    userId: string;
    membership: RemoteMembershipKind;
    roomVersion: string;
    viaServers: string[];
    strippedState: unknown[];
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO remote_memberships (event_id, room_id, user_id, membership, room_version,
       via_servers, stripped_state) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    r.eventId,
    r.roomId,
    r.userId,
    r.membership,
    r.roomVersion,
    JSON.stringify(r.viaServers),
    JSON.stringify(r.strippedState),
  );
}

/** The user's newest remote membership in the room, if any. */
export function getLatestRemoteMembership(
  q: Queryable,
  userId: string,
  roomId: string,
): Promise<RemoteMembershipRow | undefined> {
  return q.get<RemoteMembershipRow>(
    `SELECT r.*, e.stream_ordering FROM remote_memberships r
       JOIN events e ON e.event_id = r.event_id
     WHERE r.user_id = ? AND r.room_id = ?
     ORDER BY e.stream_ordering DESC LIMIT 1`,
    userId,
    roomId,
  );
}

/** The remote membership recorded with this member event, if it is one. */
export function getRemoteMembership(
  q: Queryable,
  eventId: string,
): Promise<RemoteMembershipRow | undefined> {
  return q.get<RemoteMembershipRow>(
    `SELECT r.*, e.stream_ordering FROM remote_memberships r
       JOIN events e ON e.event_id = r.event_id
     WHERE r.event_id = ?`,
    eventId,
  );
}

/** The newest served member event of the user in the room: its position, if any. */
export async function getLatestServedMembershipPosition(
  q: Queryable,
  userId: string,
  roomId: string,
): Promise<number | undefined> {
  const row = await q.get<{ pos: number | null }>(
    `SELECT MAX(stream_ordering) AS pos FROM events
     WHERE type = 'm.room.member' AND state_key = ? AND room_id = ?
       AND outlier = 0 AND rejected_reason IS NULL`,
    userId,
    roomId,
  );
  return row?.pos ?? undefined;
}

/** Deletes the invites, knocks and leaves of a room this server was not in (room purge). */
export async function deleteRoomRemoteMemberships(q: Queryable, roomId: string): Promise<void> {
  await q.run('DELETE FROM remote_memberships WHERE room_id = ?', roomId);
}
