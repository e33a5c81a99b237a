/**
 * Who may do what in a room, from its create and power-levels events. matrix-js-sdk 36
 * predates room version 12, where the room's creators (the create event's sender and its
 * `additional_creators`) outrank everyone and are not listed in the power levels (spec:
 * room version 12, "Authorization rules"); this module knows both kinds of room.
 */
export interface PowerLevels {
  users?: Record<string, number>;
  users_default?: number;
  events?: Record<string, number>;
  events_default?: number;
  state_default?: number;
  ban?: number;
  kick?: number;
  invite?: number;
  redact?: number;
}

export interface RoomAuth {
  roomVersion: string;
  /** The create event's sender. */
  creator: string;
  additionalCreators: string[];
  /** The m.room.power_levels content, or null when the room has none. */
  powerLevels: PowerLevels | null;
}

/** Room versions where creators hold unlimited power (v12 and its MSC4289 precursor). */
export function creatorsArePrivileged(roomVersion: string): boolean {
  if (roomVersion === 'org.matrix.hydra.11') return true;
  const n = /^\d+$/.test(roomVersion) ? Number(roomVersion) : NaN;
  return n >= 12;
}

export function isCreator(auth: RoomAuth, userId: string): boolean {
  return (
    creatorsArePrivileged(auth.roomVersion) &&
    (userId === auth.creator || auth.additionalCreators.includes(userId))
  );
}

function int(v: unknown, fallback: number): number {
  return Number.isSafeInteger(v) ? (v as number) : fallback;
}

/** A user's power level; Infinity for a privileged creator. */
export function userLevel(auth: RoomAuth, userId: string): number {
  if (isCreator(auth, userId)) return Infinity;
  const pl = auth.powerLevels;
  // Without power levels, the creator has 100 and everyone else 0 (older room versions).
  if (!pl) return userId === auth.creator ? 100 : 0;
  return int(pl.users?.[userId], int(pl.users_default, 0));
}

/** The level needed to send a state event of `type`. */
export function stateLevel(auth: RoomAuth, type: string): number {
  const pl = auth.powerLevels;
  if (!pl) return 0;
  return int(pl.events?.[type], int(pl.state_default, 50));
}

/** The level needed for an action (kick, ban, invite default to 50, 50, 0). */
export function actionLevel(auth: RoomAuth, action: 'kick' | 'ban' | 'invite'): number {
  const pl = auth.powerLevels;
  const defaults = { kick: 50, ban: 50, invite: 0 };
  if (!pl) return defaults[action];
  return int(pl[action], defaults[action]);
}

export function mayChangeState(auth: RoomAuth, userId: string, type: string): boolean {
  return userLevel(auth, userId) >= stateLevel(auth, type);
}

/** May `actor` kick or ban `target`: enough level for the action, and above the target. */
export function mayActOn(
  auth: RoomAuth,
  actor: string,
  target: string,
  action: 'kick' | 'ban',
): boolean {
  const mine = userLevel(auth, actor);
  return mine >= actionLevel(auth, action) && mine > userLevel(auth, target);
}

/**
 * May `actor` change `target`'s level: they may send power levels, the target is not a
 * privileged creator, and the actor outranks the target (or is changing their own).
 */
export function mayChangeLevel(auth: RoomAuth, actor: string, target: string): boolean {
  if (isCreator(auth, target)) return false;
  if (!mayChangeState(auth, actor, 'm.room.power_levels')) return false;
  return actor === target || userLevel(auth, actor) > userLevel(auth, target);
}
