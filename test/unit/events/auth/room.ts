/**
 * Small rooms for the auth rule tests: a create event, the creator's join, power levels
 * and join rules, held as a state map that checkEventAuth reads through a lookup.
 */
import { expect } from 'vitest';
import {
  checkEventAuth,
  type AuthEvent,
  type AuthResult,
} from '../../../../server/events/auth/check.js';
import {
  allRoomVersions,
  roomVersion,
  type RoomVersion,
} from '../../../../server/events/room-versions.js';

export const ALICE = '@alice:example.org';
export const BOB = '@bob:example.org';
export const CAROL = '@carol:other.org';
export const DAVE = '@dave:example.org';

export const ALL_VERSIONS = allRoomVersions().map((v) => v.id);

/** The room id of test rooms (v12 room ids are the create event's id with `!`). */
export function roomIdFor(v: RoomVersion): string {
  return v.roomIdFromCreateEvent ? '!createhash' : '!room:example.org';
}

/** The create event of a test room created by `creator`. */
export function createEvent(v: RoomVersion, creator = ALICE, content = {}): AuthEvent {
  return {
    event_id: v.roomIdFromCreateEvent ? '$createhash' : '$create:example.org',
    type: 'm.room.create',
    state_key: '',
    sender: creator,
    ...(v.roomIdFromCreateEvent ? {} : { room_id: roomIdFor(v) }),
    content: {
      room_version: v.id,
      ...(v.implicitRoomCreator ? {} : { creator }),
      ...content,
    },
    prev_events: [],
  };
}

/** An event of the test room: state when `stateKey` is given. */
export function ev(
  v: RoomVersion,
  type: string,
  sender: string,
  content: Record<string, unknown>,
  stateKey?: string,
  extra: Partial<AuthEvent> = {},
): AuthEvent {
  return {
    type,
    sender,
    room_id: roomIdFor(v),
    content,
    prev_events: ['$prev'],
    ...(stateKey === undefined ? {} : { state_key: stateKey }),
    ...extra,
  };
}

/** An m.room.member event of `target`, sent by `sender` (target by default). */
export function member(
  v: RoomVersion,
  target: string,
  membership: string,
  sender = target,
  content: Record<string, unknown> = {},
): AuthEvent {
  return ev(v, 'm.room.member', sender, { membership, ...content }, target);
}

export interface TestRoom {
  v: RoomVersion;
  state: Map<string, AuthEvent>;
  /** Puts an event into the room state (replacing the same type and state_key). */
  set(event: AuthEvent): TestRoom;
  /** Removes a piece of state. */
  unset(type: string, stateKey?: string): TestRoom;
  check(event: AuthEvent): AuthResult;
}

export interface RoomOptions {
  joinRule?: string;
  /** Power levels content; false for a room without a power levels event. */
  powerLevels?: Record<string, unknown> | false;
  members?: Record<string, string>;
  createContent?: Record<string, unknown>;
}

/**
 * A room of version `id` created by Alice, joined by her, with power levels (Alice at 100,
 * unless v12 where the creator is not listed) and the given join rule (default invite).
 */
export function newRoom(id: string, opts: RoomOptions = {}): TestRoom {
  const v = roomVersion(id);
  if (!v) throw new Error(`unknown room version ${id}`);
  const state = new Map<string, AuthEvent>();
  const room: TestRoom = {
    v,
    state,
    set(event) {
      state.set(`${event.type}|${event.state_key ?? ''}`, event);
      return room;
    },
    unset(type, stateKey = '') {
      state.delete(`${type}|${stateKey}`);
      return room;
    },
    check(event) {
      return checkEventAuth(event, (type, key) => state.get(`${type}|${key}`), v);
    },
  };
  room.set(createEvent(v, ALICE, opts.createContent));
  room.set(member(v, ALICE, 'join'));
  if (opts.powerLevels !== false) {
    const users = v.privilegedCreators ? {} : { [ALICE]: 100 };
    room.set(ev(v, 'm.room.power_levels', ALICE, opts.powerLevels ?? { users }, ''));
  }
  room.set(ev(v, 'm.room.join_rules', ALICE, { join_rule: opts.joinRule ?? 'invite' }, ''));
  for (const [user, membership] of Object.entries(opts.members ?? {})) {
    room.set(member(v, user, membership, membership === 'join' ? user : ALICE));
  }
  return room;
}

/**
 * The expected rule number per version from a table keyed by version ranges, e.g.
 * `{ '1-5': '5.2.2', '6-7': '4.2.2', '8-11': '4.3.2', '12': '5.3.2' }`.
 */
export function ruleAt(id: string, table: Record<string, string>): string {
  const n = Number(id);
  for (const [range, rule] of Object.entries(table)) {
    const [lo, hi = lo] = range.split('-').map(Number);
    if (lo !== undefined && hi !== undefined && n >= lo && n <= hi) return `v${id} ${rule}`;
  }
  throw new Error(`no rule for v${id} in ${JSON.stringify(table)}`);
}

export function expectAllowed(result: AuthResult): void {
  expect(result).toEqual({ ok: true });
}

export function expectDenied(result: AuthResult, rule: string): void {
  expect(result).toMatchObject({ ok: false, rule });
  if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
}

/** The versions with a given feature flag set (or not). */
export function versionsWhere(pred: (v: RoomVersion) => boolean): string[] {
  return allRoomVersions()
    .filter(pred)
    .map((v) => v.id);
}
