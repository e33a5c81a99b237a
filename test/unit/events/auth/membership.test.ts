import { describe, it } from 'vitest';
import { checkEventAuth } from '../../../../server/events/auth/check.js';
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  CAROL,
  DAVE,
  expectAllowed,
  expectDenied,
  member,
  newRoom,
  ruleAt,
  versionsWhere,
} from './room.js';

const MEMBER = { '1-5': '5', '6-11': '4', '12': '5' };
/** Rule `<member>.<sub>` where `sub` is given per era: [v1-6, v7, v8+]. */
function memberRule(id: string, subs: [string, string, string]): string {
  const n = Number(id);
  const sub = n >= 8 ? subs[2] : n === 7 ? subs[1] : subs[0];
  return ruleAt(id, Object.fromEntries(Object.entries(MEMBER).map(([k, m]) => [k, `${m}.${sub}`])));
}
const invite = (id: string, s: number) => memberRule(id, [`3.${s}`, `3.${s}`, `4.${s}`]);
const leave = (id: string, s: number) => memberRule(id, [`4.${s}`, `4.${s}`, `5.${s}`]);
const ban = (id: string, s: number) => memberRule(id, [`5.${s}`, `5.${s}`, `6.${s}`]);
const knock = (id: string, s: number) => memberRule(id, ['-', `6.${s}`, `7.${s}`]);
const unknown = (id: string) => memberRule(id, ['6', '7', '8']);

describe('membership: shape and signatures', () => {
  it.each(ALL_VERSIONS)('v%s refuses a member event without state_key or membership (.1)', (id) => {
    const room = newRoom(id, { joinRule: 'public' });
    const join = member(room.v, BOB, 'join');
    expectDenied(room.check({ ...join, state_key: undefined }), memberRule(id, ['1', '1', '1']));
    expectDenied(room.check({ ...join, content: {} }), memberRule(id, ['1', '1', '1']));
  });

  it.each(ALL_VERSIONS)('v%s refuses an unknown membership', (id) => {
    const room = newRoom(id, { joinRule: 'public' });
    expectDenied(room.check(member(room.v, BOB, 'wander')), unknown(id));
    expectDenied(room.check(member(room.v, BOB, 7 as unknown as string)), unknown(id));
  });

  it.each(versionsWhere((v) => v.restrictedJoinRule))(
    'v%s needs the signature of join_authorised_via_users_server (.2.1)',
    (id) => {
      const room = newRoom(id, { joinRule: 'public' });
      const join = member(room.v, BOB, 'join', BOB, { join_authorised_via_users_server: CAROL });
      expectDenied(room.check(join), memberRule(id, ['-', '-', '2.1']));
      const signed = { ...join, signatures: { 'other.org': { 'ed25519:k': 'sig' } } };
      expectAllowed(room.check(signed));
      const bad = { ...signed, content: { ...join.content, join_authorised_via_users_server: 5 } };
      expectDenied(room.check(bad), memberRule(id, ['-', '-', '2.1']));
      // A caller may plug in a real verifier.
      const state = (t: string, k: string) => room.state.get(`${t}|${k}`);
      const never = () => false;
      expectDenied(
        checkEventAuth(signed, state, room.v, { signedBy: never }),
        memberRule(id, ['-', '-', '2.1']),
      );
    },
  );

  it.each(versionsWhere((v) => !v.restrictedJoinRule))(
    'v%s ignores join_authorised_via_users_server',
    (id) => {
      const room = newRoom(id, { joinRule: 'public' });
      const join = member(room.v, BOB, 'join', BOB, { join_authorised_via_users_server: CAROL });
      expectAllowed(room.check(join));
    },
  );
});

describe('membership invite', () => {
  it.each(ALL_VERSIONS)('v%s lets a joined member at the invite level invite (.4)', (id) => {
    const room = newRoom(id);
    expectAllowed(room.check(member(room.v, BOB, 'invite', ALICE)));
  });

  it.each(ALL_VERSIONS)('v%s refuses an invite from a non-member (.2)', (id) => {
    const room = newRoom(id, { members: { [DAVE]: 'invite' } });
    expectDenied(room.check(member(room.v, BOB, 'invite', DAVE)), invite(id, 2));
  });

  it.each(ALL_VERSIONS)('v%s refuses inviting a joined or banned user (.3)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join', [DAVE]: 'ban' } });
    expectDenied(room.check(member(room.v, BOB, 'invite', ALICE)), invite(id, 3));
    expectDenied(room.check(member(room.v, DAVE, 'invite', ALICE)), invite(id, 3));
  });

  it.each(ALL_VERSIONS)('v%s refuses an invite below the invite level (.5)', (id) => {
    const users = id === '12' ? {} : { [ALICE]: 100 };
    const room = newRoom(id, { members: { [DAVE]: 'join' }, powerLevels: { users, invite: 1 } });
    expectDenied(room.check(member(room.v, BOB, 'invite', DAVE)), invite(id, 5));
    expectAllowed(room.check(member(room.v, BOB, 'invite', ALICE)));
  });
});

describe('membership leave', () => {
  it.each(ALL_VERSIONS)('v%s lets invited and joined users leave (.1)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'invite', [DAVE]: 'join' } });
    expectAllowed(room.check(member(room.v, BOB, 'leave')));
    expectAllowed(room.check(member(room.v, DAVE, 'leave')));
    expectDenied(room.check(member(room.v, CAROL, 'leave')), leave(id, 1));
  });

  it.each(ALL_VERSIONS)('v%s lets a banned user not unban themself (.1)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'ban' } });
    expectDenied(room.check(member(room.v, BOB, 'leave')), leave(id, 1));
  });

  it.each(versionsWhere((v) => v.knockJoinRule))('v%s lets a knocking user retract (.1)', (id) => {
    const room = newRoom(id, { joinRule: 'knock' }).set(member(newRoom(id).v, BOB, 'knock'));
    expectAllowed(room.check(member(room.v, BOB, 'leave')));
  });

  it.each(versionsWhere((v) => !v.knockJoinRule))('v%s has no knock to retract (.1)', (id) => {
    const room = newRoom(id).set(member(newRoom(id).v, BOB, 'knock'));
    expectDenied(room.check(member(room.v, BOB, 'leave')), leave(id, 1));
  });

  it.each(ALL_VERSIONS)('v%s refuses a kick by a non-member (.2)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join', [DAVE]: 'leave' } });
    expectDenied(room.check(member(room.v, BOB, 'leave', DAVE)), leave(id, 2));
  });

  it.each(ALL_VERSIONS)('v%s refuses an unban below the ban level (.3)', (id) => {
    const users = id === '12' ? { [DAVE]: 60 } : { [ALICE]: 100, [DAVE]: 60 };
    const room = newRoom(id, {
      members: { [BOB]: 'ban', [DAVE]: 'join' },
      powerLevels: { users, ban: 70 },
    });
    expectDenied(room.check(member(room.v, BOB, 'leave', DAVE)), leave(id, 3));
    expectAllowed(room.check(member(room.v, BOB, 'leave', ALICE)));
  });

  it.each(ALL_VERSIONS)('v%s allows a kick at the kick level of a lower user (.4)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    expectAllowed(room.check(member(room.v, BOB, 'leave', ALICE)));
  });

  it.each(ALL_VERSIONS)('v%s refuses a kick below the kick level or of a peer (.5)', (id) => {
    const users = id === '12' ? { [BOB]: 50, [DAVE]: 50 } : { [ALICE]: 100, [BOB]: 50, [DAVE]: 50 };
    const room = newRoom(id, {
      members: { [BOB]: 'join', [DAVE]: 'join', [CAROL]: 'join' },
      powerLevels: { users },
    });
    expectDenied(room.check(member(room.v, DAVE, 'leave', BOB)), leave(id, 5)); // peer
    expectDenied(room.check(member(room.v, BOB, 'leave', CAROL)), leave(id, 5)); // level 0
    expectAllowed(room.check(member(room.v, CAROL, 'leave', BOB)));
  });
});

describe('membership ban', () => {
  it.each(ALL_VERSIONS)('v%s allows a ban at the ban level of a lower user (.2)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    expectAllowed(room.check(member(room.v, BOB, 'ban', ALICE)));
    expectAllowed(room.check(member(room.v, CAROL, 'ban', ALICE)));
  });

  it.each(ALL_VERSIONS)('v%s refuses a ban by a non-member (.1)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } }).set(
      member(newRoom(id).v, ALICE, 'leave'),
    );
    expectDenied(room.check(member(room.v, BOB, 'ban', ALICE)), ban(id, 1));
  });

  it.each(ALL_VERSIONS)('v%s refuses a ban below the ban level or of a peer (.3)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    expectDenied(room.check(member(room.v, ALICE, 'ban', BOB)), ban(id, 3));
  });
});

describe('membership knock (v7+)', () => {
  const knocking = versionsWhere((v) => v.knockJoinRule);

  it.each(knocking)('v%s lets an outsider knock on a knock room (.3)', (id) => {
    const room = newRoom(id, { joinRule: 'knock', members: { [BOB]: 'leave' } });
    expectAllowed(room.check(member(room.v, BOB, 'knock')));
    expectAllowed(room.check(member(room.v, CAROL, 'knock')));
  });

  it.each(knocking)('v%s refuses knocks on rooms that are not knock rooms (.1)', (id) => {
    for (const rule of ['invite', 'public', 'restricted']) {
      const room = newRoom(id, { joinRule: rule });
      expectDenied(room.check(member(room.v, BOB, 'knock')), knock(id, 1));
    }
  });

  it.each(versionsWhere((v) => v.knockRestrictedJoinRule))(
    'v%s accepts knocks on knock_restricted rooms (.3)',
    (id) => {
      const room = newRoom(id, { joinRule: 'knock_restricted' });
      expectAllowed(room.check(member(room.v, BOB, 'knock')));
    },
  );

  it.each(['7', '8', '9'])('v%s refuses knocks on knock_restricted rooms (.1)', (id) => {
    const room = newRoom(id, { joinRule: 'knock_restricted' });
    expectDenied(room.check(member(room.v, BOB, 'knock')), knock(id, 1));
  });

  it.each(knocking)('v%s refuses knocking for someone else (.2)', (id) => {
    const room = newRoom(id, { joinRule: 'knock' });
    expectDenied(room.check(member(room.v, BOB, 'knock', ALICE)), knock(id, 2));
  });

  it.each(knocking)('v%s refuses knocks of banned, invited or joined users (.4)', (id) => {
    const room = newRoom(id, { joinRule: 'knock', members: { [BOB]: 'ban', [DAVE]: 'invite' } });
    expectDenied(room.check(member(room.v, BOB, 'knock')), knock(id, 4));
    expectDenied(room.check(member(room.v, DAVE, 'knock')), knock(id, 4));
    expectDenied(room.check(member(room.v, ALICE, 'knock')), knock(id, 4));
  });

  it.each(versionsWhere((v) => !v.knockJoinRule))('v%s treats knock as unknown', (id) => {
    const room = newRoom(id, { joinRule: 'knock' });
    expectDenied(room.check(member(room.v, BOB, 'knock')), unknown(id));
  });
});
