/**
 * Presence as time changes it (client-server API, "Presence"): the pure rules that turn
 * a stored record and the clock into what users see. Timestamps are kept and the state is
 * worked out when read, so no timer per user is needed; server/presence/presence.ts
 * persists the changes these rules make so that /sync can stream them.
 */

export type PresenceState = 'online' | 'unavailable' | 'offline';

/** Offline this long after the user's last sync ended (Synapse's SYNC_ONLINE_TIMEOUT). */
export const SYNC_ONLINE_TIMEOUT_MS = 30_000;
/** Online turns unavailable after this long without activity (Synapse's IDLE_TIMER; spec "Idle timeout"). */
export const IDLE_TIMEOUT_MS = 5 * 60_000;
/** `currently_active` holds this long after the last activity (Synapse's LAST_ACTIVE_GRANULARITY). */
export const CURRENTLY_ACTIVE_MS = 60_000;

export interface PresenceRecord {
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  /** When a client of the user last synced (or set presence): the offline timeout runs from it. */
  lastSyncTs: number;
  currentlyActive: boolean;
}

/** A user never seen: offline, never active. */
export const NEVER_SEEN: PresenceRecord = {
  state: 'offline',
  statusMsg: null,
  lastActiveTs: 0,
  lastSyncTs: 0,
  currentlyActive: false,
};

/**
 * The record as it stands at `now`: offline once no client has synced for
 * SYNC_ONLINE_TIMEOUT_MS (unless one is syncing right now), unavailable once online and
 * idle for IDLE_TIMEOUT_MS, and `currentlyActive` only while online and active within
 * CURRENTLY_ACTIVE_MS.
 */
export function settle(rec: PresenceRecord, now: number, syncing: boolean): PresenceRecord {
  let state = rec.state;
  const lastSeen = Math.max(rec.lastSyncTs, rec.lastActiveTs);
  if (state !== 'offline' && !syncing && now - lastSeen > SYNC_ONLINE_TIMEOUT_MS) state = 'offline';
  if (state === 'online' && now - rec.lastActiveTs > IDLE_TIMEOUT_MS) state = 'unavailable';
  const currentlyActive = state === 'online' && now - rec.lastActiveTs <= CURRENTLY_ACTIVE_MS;
  return { ...rec, state, currentlyActive };
}

/**
 * How long presence received from another server holds without news: its server times its
 * users out and tells us, so only a server gone silent leaves them offline (Synapse's
 * FEDERATION_TIMEOUT).
 */
export const FEDERATION_PRESENCE_TIMEOUT_MS = 30 * 60_000;

/**
 * settle() for a user of another server, whose `lastSyncTs` is when their server last sent
 * their presence: as received, until FEDERATION_PRESENCE_TIMEOUT_MS passes without news.
 */
export function settleRemote(rec: PresenceRecord, now: number): PresenceRecord {
  if (rec.state === 'offline' || now - rec.lastSyncTs <= FEDERATION_PRESENCE_TIMEOUT_MS) return rec;
  return { ...rec, state: 'offline', currentlyActive: false };
}

/** Whether two records differ in what a client is told (not only in timestamps). */
export function visiblyDiffers(a: PresenceRecord, b: PresenceRecord): boolean {
  return (
    a.state !== b.state || a.statusMsg !== b.statusMsg || a.currentlyActive !== b.currentlyActive
  );
}

export interface PresenceContent {
  presence: PresenceState;
  last_active_ago?: number;
  status_msg?: string;
  currently_active?: boolean;
}

/**
 * The content of an `m.presence` event (and of GET /presence/{userId}/status), as Synapse
 * shapes it: `last_active_ago` when the user was ever active, `status_msg` when set,
 * `currently_active` when online.
 */
export function presenceContent(rec: PresenceRecord, now: number): PresenceContent {
  return {
    presence: rec.state,
    ...(rec.lastActiveTs > 0 ? { last_active_ago: Math.max(0, now - rec.lastActiveTs) } : {}),
    ...(rec.statusMsg ? { status_msg: rec.statusMsg } : {}),
    ...(rec.state === 'online' ? { currently_active: rec.currentlyActive } : {}),
  };
}
