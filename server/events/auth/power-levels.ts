import type { RoomVersion } from '../room-versions.js';
import { type AuthEvent, type AuthState } from './types.js';
import { isObject } from '../../core/is-object.js';

/**
 * Power levels as the auth rules read them (spec client-server "m.room.power_levels",
 * rooms/v1 "m.room.power_levels events accept values as strings" and "... as floats",
 * rooms/v10 "Values in m.room.power_levels events must be integers", rooms/v12 creators).
 */

/** The integer-valued top-level properties of m.room.power_levels content. */
export const LEVEL_KEYS = [
  'users_default',
  'events_default',
  'state_default',
  'ban',
  'redact',
  'kick',
  'invite',
] as const;
export type LevelKey = (typeof LEVEL_KEYS)[number];

const DEFAULTS: Record<LevelKey, number> = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
};

/** What "no power level event" gives the creator in v1-v11 (spec m.room.power_levels). */
const CREATOR_DEFAULT_LEVEL = 100;

// rooms/v1 "accept values as strings": optional whitespace, one sign, base-10 digits.
const STRINGY_INTEGER = /^\s*[+-]?\d+\s*$/;

/**
 * A power level value as the room version reads it, or undefined when it is not one:
 * integers always; strings of an integer before v10 (integerPowerLevels); floats,
 * truncated, where canonical JSON is not strict (v1-v5).
 */
export function parseLevel(value: unknown, v: RoomVersion): number | undefined {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    if (!v.strictCanonicalJson && Number.isFinite(value)) return Math.trunc(value);
    return undefined;
  }
  if (typeof value === 'string' && !v.integerPowerLevels && STRINGY_INTEGER.test(value)) {
    return Number.parseInt(value.trim(), 10);
  }
  return undefined;
}

/** An object of power levels (`users`, `events`, `notifications`) read entry by entry. */
export function parseLevelMap(value: unknown, v: RoomVersion): Map<string, number> {
  const out = new Map<string, number>();
  if (!isObject(value)) return out;
  for (const [key, raw] of Object.entries(value)) {
    const level = parseLevel(raw, v);
    if (level !== undefined) out.set(key, level);
  }
  return out;
}

/**
 * The room creators (spec rooms/v12 "room creators"): v1-v10 the create event's
 * `content.creator`; v11 its `sender`; v12 its `sender` plus `content.additional_creators`.
 */
export function roomCreators(create: AuthEvent | undefined, v: RoomVersion): Set<string> {
  const creators = new Set<string>();
  if (!create) return creators;
  if (!v.implicitRoomCreator) {
    if (typeof create.content.creator === 'string') creators.add(create.content.creator);
    return creators;
  }
  creators.add(create.sender);
  const extra = create.content.additional_creators;
  if (v.privilegedCreators && Array.isArray(extra)) {
    for (const id of extra) if (typeof id === 'string') creators.add(id);
  }
  return creators;
}

/** The levels in force in a room: its power level event read with the spec's defaults. */
export interface PowerLevels {
  hasEvent: boolean;
  levels: Record<LevelKey, number>;
  users: Map<string, number>;
  events: Map<string, number>;
  creators: Set<string>;
  privilegedCreators: boolean;
}

/**
 * The power levels of the room whose state is `state` (spec m.room.power_levels defaults).
 * Shared: the answer for a given power level event, create event and version is made once
 * and given to every caller (each local event's authorization asks, with the room's parsed
 * state events, the same objects from one event to the next), so nothing may modify it.
 */
export function currentPowerLevels(state: AuthState, v: RoomVersion): PowerLevels {
  const event = state('m.room.power_levels', '');
  const create = state('m.room.create', '');
  if (!event) return readPowerLevels(event, create, v);
  const made = madeLevels.get(event);
  if (made && made.content === event.content && made.create === create && made.v === v) {
    return made.pl;
  }
  const pl = readPowerLevels(event, create, v);
  madeLevels.set(event, { content: event.content, create, v, pl });
  return pl;
}

/** By power level event: the levels read from it (see currentPowerLevels). */
const madeLevels = new WeakMap<
  AuthEvent,
  { content: unknown; create: AuthEvent | undefined; v: RoomVersion; pl: PowerLevels }
>();

function readPowerLevels(
  event: AuthEvent | undefined,
  create: AuthEvent | undefined,
  v: RoomVersion,
): PowerLevels {
  const content = event?.content ?? {};
  const levels = { ...DEFAULTS };
  for (const key of LEVEL_KEYS) {
    const level = parseLevel(content[key], v);
    if (level !== undefined) levels[key] = level;
  }
  return {
    hasEvent: event !== undefined,
    levels,
    users: parseLevelMap(content.users, v),
    events: parseLevelMap(content.events, v),
    creators: roomCreators(create, v),
    privilegedCreators: v.privilegedCreators,
  };
}

/**
 * A user's power level: infinite for v12 creators; else their `users` entry or
 * `users_default`; with no power level event, 100 for the creator (v1-v11) and 0 for others.
 */
export function userLevel(pl: PowerLevels, userId: string): number {
  if (pl.privilegedCreators && pl.creators.has(userId)) return Infinity;
  if (!pl.hasEvent) return pl.creators.has(userId) ? CREATOR_DEFAULT_LEVEL : 0;
  return pl.users.get(userId) ?? pl.levels.users_default;
}

/**
 * The level needed to send an event (spec m.room.power_levels): its `events` entry, else
 * `state_default` for state events (any event with a state_key) or `events_default`.
 */
export function requiredLevel(pl: PowerLevels, event: AuthEvent): number {
  const specific = pl.events.get(event.type);
  if (specific !== undefined) return specific;
  return event.state_key !== undefined ? pl.levels.state_default : pl.levels.events_default;
}
