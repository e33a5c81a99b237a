import { LEVEL_KEYS, parseLevel, parseLevelMap } from '../events/auth/power-levels.js';
import type { RoomVersion } from '../events/room-versions.js';

/**
 * The power levels of a room upgrade (client-server "Room Upgrades", "Server behaviour"
 * 3 and 6, and what Synapse does around them).
 */

/** The level v12 rooms made by Hearth require for m.room.tombstone (as createRoom sets). */
const V12_TOMBSTONE_LEVEL = 150;

/**
 * The old room's power levels as the new room version accepts them: every level an
 * integer (v10 refuses strings; v1-v9 accepted them), and in versions with privileged
 * creators no creator listed in `users` (the auth rules refuse that), with tombstones
 * kept to creators when coming from a version without them.
 */
export function carriedPowerLevels(
  content: Record<string, unknown>,
  from: RoomVersion,
  to: RoomVersion,
  creators: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...content };
  for (const key of [...LEVEL_KEYS, 'historical']) {
    if (!(key in content)) continue;
    const level = parseLevel(content[key], from);
    if (level === undefined) delete out[key];
    else out[key] = level;
  }
  for (const key of ['users', 'events', 'notifications']) {
    if (key in content) out[key] = Object.fromEntries(parseLevelMap(content[key], from));
  }
  if (to.privilegedCreators) {
    const users = (out.users ?? {}) as Record<string, number>;
    for (const c of creators) delete users[c];
    if (!from.privilegedCreators) {
      out.events = { ...(out.events as object), 'm.room.tombstone': V12_TOMBSTONE_LEVEL };
    }
  }
  return out;
}

/**
 * The levels to set up the new room with: the upgrading user raised, when needed, to the
 * highest level any state copied over needs (Synapse's "needed_power_level"), so every
 * copy succeeds; the real levels follow once the state is in.
 */
export function setupPowerLevels(
  levels: Record<string, unknown>,
  userId: string,
  isCreator: boolean,
): Record<string, unknown> {
  if (isCreator) return levels; // v12 creators are above every level already
  const events = Object.values((levels.events ?? {}) as Record<string, number>);
  const needed = Math.max(num(levels.state_default, 50), num(levels.ban, 50), ...events);
  const users = (levels.users ?? {}) as Record<string, number>;
  const mine = users[userId] ?? num(levels.users_default, 0);
  if (mine >= needed) return levels;
  return { ...levels, users: { ...users, [userId]: needed } };
}

/**
 * The old room's levels after the upgrade: events_default and invite raised to
 * max(50, users_default + 1) so ordinary members can no longer talk or invite (spec step
 * 6); undefined when they are already that high.
 */
export function restrictedPowerLevels(
  levels: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const restricted = Math.max(50, num(levels.users_default, 0) + 1);
  let changed = false;
  const out = { ...levels };
  for (const key of ['events_default', 'invite']) {
    if (num(levels[key], 0) < restricted) {
      out[key] = restricted;
      changed = true;
    }
  }
  return changed ? out : undefined;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
