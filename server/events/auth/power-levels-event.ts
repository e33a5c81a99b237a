import { parseUserId } from '../../core/ids.js';
import type { RoomVersion } from '../room-versions.js';
import {
  LEVEL_KEYS,
  currentPowerLevels,
  parseLevel,
  parseLevelMap,
  roomCreators,
  userLevel,
} from './power-levels.js';
import { ruleNumbers } from './rule-numbers.js';
import { ALLOW, deny, type AuthEvent, type AuthResult, type AuthState } from './types.js';
import { isObject } from '../../core/is-object.js';

/**
 * The m.room.power_levels rule (spec rooms/vN "Authorization rules", rule 10 in v1-v5,
 * 9 in v6-v11, 10 in v12): the new content must be well formed, and a sender may only
 * change levels that are, and stay, within their own power.
 */
export function checkPowerLevelsEvent(
  event: AuthEvent,
  state: AuthState,
  v: RoomVersion,
): AuthResult {
  const n = ruleNumbers(v);
  const content = event.content;
  const shape = checkShape(content, v);
  if (shape) return deny(v.id, shape.rule, shape.reason);
  if (n.plCreators && isObject(content.users)) {
    const creators = roomCreators(state('m.room.create', ''), v);
    const listed = Object.keys(content.users).find((u) => creators.has(u));
    if (listed) {
      return deny(v.id, n.plCreators, `${listed} is a room creator and cannot be given a level`);
    }
  }
  const previous = state('m.room.power_levels', '');
  if (!previous) return ALLOW;
  const own = userLevel(currentPowerLevels(state, v), event.sender);
  const old = previous.content;

  for (const key of LEVEL_KEYS) {
    const before = parseLevel(old[key], v);
    const after = parseLevel(content[key], v);
    if (before === after) continue;
    if (before !== undefined && before > own) {
      return deny(v.id, `${n.plTopLevel}.1`, `You cannot change "${key}" from above your level`);
    }
    if (after !== undefined && after > own) {
      return deny(v.id, `${n.plTopLevel}.2`, `You cannot set "${key}" above your level`);
    }
  }

  const maps = v.limitNotificationsPowerLevels ? ['events', 'notifications'] : ['events'];
  const diffs = maps.map((name) => ({ name, ...diffMaps(old[name], content[name], v) }));
  for (const { name, removed } of diffs) {
    const key = removed.find((c) => c.before > own);
    if (key) {
      return deny(
        v.id,
        `${n.plEventsRemoved}.1`,
        `You cannot change ${name} level "${key.key}" from above your level`,
      );
    }
  }
  for (const { name, added } of diffs) {
    const key = added.find((c) => c.after > own);
    if (key) {
      return deny(
        v.id,
        `${n.plEventsAdded}.1`,
        `You cannot set ${name} level "${key.key}" above your level`,
      );
    }
  }

  const users = diffMaps(old.users, content.users, v);
  const demoted = users.removed.find((c) => c.key !== event.sender && c.before >= own);
  if (demoted) {
    return deny(
      v.id,
      `${n.plUsersRemoved}.1`,
      `You cannot change the level of ${demoted.key}, who is not below you`,
    );
  }
  const promoted = users.added.find((c) => c.after > own);
  if (promoted) {
    return deny(
      v.id,
      `${n.plUsersAdded}.1`,
      `You cannot give ${promoted.key} a level above your own`,
    );
  }
  return ALLOW;
}

/** The first shape rule the content breaks (x.1-x.3 of the power levels rule), if any. */
function checkShape(
  content: Record<string, unknown>,
  v: RoomVersion,
): { rule: string; reason: string } | undefined {
  const n = ruleNumbers(v);
  if (n.plIntegers) {
    const bad = LEVEL_KEYS.find((k) => k in content && !Number.isInteger(content[k]));
    if (bad) return { rule: n.plIntegers, reason: `"${bad}" must be an integer` };
  }
  if (n.plMaps) {
    for (const name of ['events', 'notifications']) {
      const map = content[name];
      if (name in content && !(isObject(map) && Object.values(map).every(Number.isInteger))) {
        return { rule: n.plMaps, reason: `"${name}" must map to integers` };
      }
    }
  }
  if ('users' in content) {
    const users = content.users;
    const valid =
      isObject(users) &&
      Object.entries(users).every(([id, level]) => parseUserId(id) && isLevel(level, v));
    if (!valid) return { rule: n.plUsers, reason: '"users" must map user ids to integers' };
  }
  return undefined;
}

/** An integer (v10+), or before v10 also a string of an integer (and v1-v5 floats). */
function isLevel(value: unknown, v: RoomVersion): boolean {
  return v.integerPowerLevels ? Number.isInteger(value) : parseLevel(value, v) !== undefined;
}

interface Change {
  key: string;
  before: number;
  after: number;
}

/**
 * Entries changed in or removed from (`removed`, with their old value) and added to or
 * changed in (`added`, with their new value) a map of levels.
 */
function diffMaps(
  oldMap: unknown,
  newMap: unknown,
  v: RoomVersion,
): { removed: Change[]; added: Change[] } {
  const before = parseLevelMap(oldMap, v);
  const after = parseLevelMap(newMap, v);
  const removed: Change[] = [];
  const added: Change[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(key);
    const a = after.get(key);
    if (a === b) continue;
    if (b !== undefined) removed.push({ key, before: b, after: a ?? NaN });
    if (a !== undefined) added.push({ key, before: b ?? NaN, after: a });
  }
  return { removed, added };
}
