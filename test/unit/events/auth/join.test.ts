import { describe, it } from 'vitest';
import type { AuthEvent } from '../../../../server/events/auth/check.js';
import type { RoomVersion } from '../../../../server/events/room-versions.js';
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  DAVE,
  createEvent,
  expectAllowed,
  expectDenied,
  member,
  newRoom,
  ruleAt,
  versionsWhere,
} from './room.js';

const JOIN = { '1-5': '5.2', '6-7': '4.2', '8-11': '4.3', '12': '5.3' };
const joinRule = (id: string, sub: number) =>
  ruleAt(id, Object.fromEntries(Object.entries(JOIN).map(([k, n]) => [k, `${n}.${sub}`])));
/** "Otherwise, reject": x.6 before restricted rooms (v8), x.7 after. */
const otherwise = (id: string) => (Number(id) >= 8 ? joinRule(id, 7) : joinRule(id, 6));

/** A join of `user` authorised by `via`, signed by the authorising user's server. */
function joinVia(v: RoomVersion, user: string, via: string | undefined): AuthEvent {
  const join = member(v, user, 'join', user, via ? { join_authorised_via_users_server: via } : {});
  return { ...join, signatures: { 'example.org': { 'ed25519:a': 'sig' } } };
}

describe('membership join: the creator', () => {
  it.each(ALL_VERSIONS)('v%s lets the creator join right after the create event (.1)', (id) => {
    const room = newRoom(id).unset('m.room.member', ALICE).unset('m.room.power_levels');
    room.unset('m.room.join_rules');
    const create = room.state.get('m.room.create|') as AuthEvent;
    expectAllowed(room.check({ ...member(room.v, ALICE, 'join'), prev_events: [create.event_id] }));
    // Anyone else has no such right: with no join rules the room is invite-only.
    const bob = { ...member(room.v, BOB, 'join'), prev_events: [create.event_id] };
    expectDenied(room.check(bob), otherwise(id));
  });

  it.each(['1', '2'])('v%s reads prev_events as [id, hashes] pairs', (id) => {
    const room = newRoom(id).unset('m.room.member', ALICE).unset('m.room.join_rules');
    const join = { ...member(room.v, ALICE, 'join'), prev_events: [['$create:example.org', {}]] };
    expectAllowed(room.check(join));
  });

  it.each(versionsWhere((v) => !v.implicitRoomCreator))(
    'v%s takes the creator from content.creator',
    (id) => {
      const room = newRoom(id).unset('m.room.member', ALICE).unset('m.room.join_rules');
      room.set({ ...createEvent(room.v), content: { creator: BOB } });
      const prev = { prev_events: ['$create:example.org'] };
      expectAllowed(room.check({ ...member(room.v, BOB, 'join'), ...prev }));
      expectDenied(room.check({ ...member(room.v, ALICE, 'join'), ...prev }), otherwise(id));
    },
  );

  it.each(versionsWhere((v) => v.implicitRoomCreator))(
    "v%s takes the creator from the create event's sender, not content.creator",
    (id) => {
      const room = newRoom(id).unset('m.room.member', ALICE).unset('m.room.join_rules');
      const create = createEvent(room.v);
      room.set({ ...create, content: { ...create.content, creator: BOB } });
      const prev = { prev_events: [create.event_id] };
      expectAllowed(room.check({ ...member(room.v, ALICE, 'join'), ...prev }));
      expectDenied(room.check({ ...member(room.v, BOB, 'join'), ...prev }), otherwise(id));
    },
  );
});

describe('membership join: general rules', () => {
  it.each(ALL_VERSIONS)('v%s refuses joining on behalf of someone else (.2)', (id) => {
    const room = newRoom(id, { joinRule: 'public' });
    expectDenied(room.check(member(room.v, BOB, 'join', ALICE)), joinRule(id, 2));
  });

  it.each(ALL_VERSIONS)('v%s refuses a banned user even in a public room (.3)', (id) => {
    const room = newRoom(id, { joinRule: 'public', members: { [BOB]: 'ban' } });
    expectDenied(room.check(member(room.v, BOB, 'join')), joinRule(id, 3));
  });

  it.each(ALL_VERSIONS)('v%s lets invited or joined users into an invite room (.4)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'invite', [DAVE]: 'join' } });
    expectAllowed(room.check(member(room.v, BOB, 'join')));
    expectAllowed(room.check(member(room.v, DAVE, 'join')));
    expectDenied(room.check(member(room.v, '@eve:example.org', 'join')), otherwise(id));
  });

  it.each(ALL_VERSIONS)('v%s lets anyone into a public room (public rule)', (id) => {
    const room = newRoom(id, { joinRule: 'public', members: { [BOB]: 'leave' } });
    expectAllowed(room.check(member(room.v, BOB, 'join')));
  });

  it.each(ALL_VERSIONS)('v%s refuses joins under an unknown join rule (otherwise)', (id) => {
    const room = newRoom(id, { joinRule: 'private', members: { [BOB]: 'invite' } });
    expectDenied(room.check(member(room.v, BOB, 'join')), otherwise(id));
  });
});

describe('membership join: knock join rule (v7+)', () => {
  it.each(versionsWhere((v) => v.knockJoinRule))('v%s admits invited users (.4)', (id) => {
    const room = newRoom(id, { joinRule: 'knock', members: { [BOB]: 'invite' } });
    expectAllowed(room.check(member(room.v, BOB, 'join')));
    expectDenied(room.check(member(room.v, DAVE, 'join')), otherwise(id));
  });

  it.each(versionsWhere((v) => !v.knockJoinRule))('v%s does not know knock', (id) => {
    const room = newRoom(id, { joinRule: 'knock', members: { [BOB]: 'invite' } });
    expectDenied(room.check(member(room.v, BOB, 'join')), otherwise(id));
  });
});

describe('membership join: restricted rooms (v8+, knock_restricted v10+)', () => {
  const restricted = versionsWhere((v) => v.restrictedJoinRule).map((id) => [id, 'restricted']);
  const knockRestricted = versionsWhere((v) => v.knockRestrictedJoinRule).map((id) => [
    id,
    'knock_restricted',
  ]);
  const cases = [...restricted, ...knockRestricted];

  it.each(cases)('v%s %s admits joined or invited users (.5.1)', (id, rule) => {
    const room = newRoom(id, { joinRule: rule, members: { [BOB]: 'invite' } });
    expectAllowed(room.check(member(room.v, BOB, 'join')));
    expectAllowed(room.check(member(room.v, ALICE, 'join')));
  });

  it.each(cases)('v%s %s admits a join authorised by a joined inviter (.5.3)', (id, rule) => {
    const room = newRoom(id, { joinRule: rule });
    expectAllowed(room.check(joinVia(room.v, BOB, ALICE)));
  });

  it.each(cases)('v%s %s refuses a join without a valid authoriser (.5.2)', (id, rule) => {
    const room = newRoom(id, {
      joinRule: rule,
      members: { [DAVE]: 'join', '@eve:example.org': 'invite' },
      powerLevels: { users: room12Users(id), invite: 50 },
    });
    const denied = joinRule(id, 5) + '.2';
    expectDenied(room.check(joinVia(room.v, BOB, undefined)), denied);
    expectDenied(room.check(joinVia(room.v, BOB, DAVE)), denied); // joined, below invite level
    expectDenied(room.check(joinVia(room.v, BOB, '@eve:example.org')), denied); // not joined
    expectAllowed(room.check(joinVia(room.v, BOB, ALICE)));
  });

  it.each(versionsWhere((v) => !v.restrictedJoinRule))(
    'v%s does not know restricted rooms',
    (id) => {
      const room = newRoom(id, { joinRule: 'restricted' });
      expectDenied(room.check(joinVia(room.v, BOB, ALICE)), otherwise(id));
    },
  );

  it.each(['8', '9'])('v%s does not know knock_restricted rooms', (id) => {
    const room = newRoom(id, { joinRule: 'knock_restricted', members: { [BOB]: 'invite' } });
    expectDenied(room.check(joinVia(room.v, DAVE, ALICE)), otherwise(id));
  });
});

/** Alice at 100 in `users`, except v12 where creators are not listed. */
function room12Users(id: string): Record<string, number> {
  return id === '12' ? {} : { [ALICE]: 100 };
}
