import { describe, expect, it } from 'vitest';
import {
  authEventsNeeded,
  checkAuthEvents,
  type AuthEvent,
} from '../../../../server/events/auth/check.js';
import { roomVersion, type RoomVersion } from '../../../../server/events/room-versions.js';
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  CAROL,
  createEvent,
  ev,
  expectAllowed,
  expectDenied,
  member,
  ruleAt,
  versionsWhere,
} from './room.js';

const version = (id: string): RoomVersion => roomVersion(id) as RoomVersion;
const AUTH = { '1-11': '2', '12': '3' };
const authRule = (id: string, sub: number) => ruleAt(id, AUTH) + `.${sub}`;

/** The state a join of Bob's would cite, in a room of version `v`. */
function stateFor(v: RoomVersion): AuthEvent[] {
  const all = [
    createEvent(v),
    ev(v, 'm.room.power_levels', ALICE, {}, ''),
    ev(v, 'm.room.join_rules', ALICE, { join_rule: 'public' }, ''),
    member(v, BOB, 'invite', ALICE),
  ];
  return v.roomIdFromCreateEvent ? all.slice(1) : all;
}

describe('authEventsNeeded (server-server API "Auth events selection")', () => {
  it.each(ALL_VERSIONS)('v%s: nothing for m.room.create', (id) => {
    expect(authEventsNeeded(createEvent(version(id)), version(id))).toEqual([]);
  });

  it.each(ALL_VERSIONS)('v%s: create (not v12), power levels, sender for a message', (id) => {
    const v = version(id);
    const pairs = authEventsNeeded(ev(v, 'm.room.message', BOB, {}), v);
    const expected = [
      ['m.room.power_levels', ''],
      ['m.room.member', BOB],
    ];
    expect(pairs).toEqual(
      v.roomIdFromCreateEvent ? expected : [['m.room.create', ''], ...expected],
    );
  });

  it.each(ALL_VERSIONS)('v%s: target and join rules for join, invite, knock', (id) => {
    const v = version(id);
    for (const membership of ['join', 'invite', 'knock']) {
      const pairs = authEventsNeeded(member(v, CAROL, membership, BOB), v);
      expect(pairs).toContainEqual(['m.room.member', CAROL]);
      expect(pairs).toContainEqual(['m.room.join_rules', '']);
    }
    const ban = authEventsNeeded(member(v, CAROL, 'ban', BOB), v);
    expect(ban).toContainEqual(['m.room.member', CAROL]);
    expect(ban).not.toContainEqual(['m.room.join_rules', '']);
  });

  it.each(ALL_VERSIONS)('v%s: the third-party invite named by the token', (id) => {
    const v = version(id);
    const invite = member(v, CAROL, 'invite', BOB, {
      third_party_invite: { signed: { mxid: CAROL, token: 'tok' } },
    });
    expect(authEventsNeeded(invite, v)).toContainEqual(['m.room.third_party_invite', 'tok']);
  });

  it.each(ALL_VERSIONS)('v%s: the authorising member of a restricted join (v8+)', (id) => {
    const v = version(id);
    const join = member(v, CAROL, 'join', CAROL, { join_authorised_via_users_server: ALICE });
    const pairs = authEventsNeeded(join, v);
    if (v.restrictedJoinRule) expect(pairs).toContainEqual(['m.room.member', ALICE]);
    else expect(pairs).not.toContainEqual(['m.room.member', ALICE]);
  });
});

describe('checkAuthEvents (rule 2, v12 rule 3)', () => {
  it.each(ALL_VERSIONS)('v%s allows the selected events', (id) => {
    const v = version(id);
    expectAllowed(checkAuthEvents(member(v, BOB, 'join'), stateFor(v), v));
  });

  it.each(ALL_VERSIONS)('v%s refuses duplicates (.1)', (id) => {
    const v = version(id);
    const auth = stateFor(v);
    const dup = [...auth, { ...auth[0]!, event_id: '$other' }];
    expectDenied(checkAuthEvents(member(v, BOB, 'join'), dup, v), authRule(id, 1));
  });

  it.each(ALL_VERSIONS)('v%s refuses events the selection would not pick (.2)', (id) => {
    const v = version(id);
    const extra = [...stateFor(v), ev(v, 'm.room.name', ALICE, {}, '')];
    expectDenied(checkAuthEvents(member(v, BOB, 'join'), extra, v), authRule(id, 2));
    const message = ev(v, 'm.room.message', BOB, {});
    expectDenied(checkAuthEvents(message, stateFor(v), v), authRule(id, 2));
  });

  it('v12 refuses the create event among auth_events (3.2)', () => {
    const v = version('12');
    const auth = [createEvent(v), ...stateFor(v)];
    expectDenied(checkAuthEvents(member(v, BOB, 'join'), auth, v), 'v12 3.2');
  });

  it.each(ALL_VERSIONS)('v%s refuses rejected auth events (.3)', (id) => {
    const v = version(id);
    const rejected = (e: AuthEvent) => e.type === 'm.room.join_rules';
    expectDenied(
      checkAuthEvents(member(v, BOB, 'join'), stateFor(v), v, rejected),
      authRule(id, 3),
    );
  });

  it.each(versionsWhere((v) => !v.roomIdFromCreateEvent))('v%s needs the create (2.4)', (id) => {
    const v = version(id);
    const auth = stateFor(v).slice(1);
    expectDenied(checkAuthEvents(member(v, BOB, 'join'), auth, v), `v${id} 2.4`);
  });

  it.each(ALL_VERSIONS)('v%s refuses auth events of another room (2.5, v12 3.4)', (id) => {
    const v = version(id);
    const auth = stateFor(v).map((e, i) => (i === 1 ? { ...e, room_id: '!other:x' } : e));
    const rule = ruleAt(id, { '1-11': '2.5', '12': '3.4' });
    expectDenied(checkAuthEvents(member(v, BOB, 'join'), auth, v), rule);
  });
});
