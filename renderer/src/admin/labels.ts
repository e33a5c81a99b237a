/**
 * Words for the admin API's values: room names and join rules, a destination's backoff, a
 * room deletion's progress. Pure (no DOM, no imports), unit-tested under Node.
 */

/** The room's name as people know it: its name, else its address, else its ID. */
export function roomTitle(r: {
  name: string | null;
  canonical_alias: string | null;
  room_id: string;
}): string {
  return r.name || r.canonical_alias || r.room_id;
}

/** A join rule (m.room.join_rules) in plain words. */
export function joinRuleLabel(rule: string): string {
  switch (rule) {
    case 'public':
      return 'Anyone can join';
    case 'invite':
      return 'Invite only';
    case 'knock':
      return 'Ask to join';
    case 'restricted':
    case 'knock_restricted':
      return 'Space members';
    case 'private':
      return 'Private';
    default:
      return rule;
  }
}

/**
 * Whether this server is failing to reach a destination, and when it will try next (null
 * when it is not waiting), from Synapse's destination fields.
 */
export function destinationState(
  d: { retry_last_ts: number; retry_interval: number; failure_ts: number | null },
  now: number,
): { failing: boolean; nextTry: number | null } {
  const failing = d.failure_ts !== null && d.failure_ts !== undefined;
  const next = d.retry_interval > 0 ? d.retry_last_ts + d.retry_interval : null;
  return { failing, nextTry: next !== null && next > now ? next : null };
}

/** A room deletion's status (GET /v2/rooms/delete_status/{id}) as a progress line. */
export function deleteProgressLabel(status: string): string {
  switch (status) {
    case 'complete':
      return 'Deleted';
    case 'failed':
      return 'Failed';
    case 'purging':
      return 'Deleting history…';
    case 'shutting_down':
      return 'Removing members…';
    default:
      return 'Deleting…';
  }
}
