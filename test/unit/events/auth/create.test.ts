import { describe, expect, it } from 'vitest';
import { checkEventAuth } from '../../../../server/events/auth/check.js';
import { roomVersion, type RoomVersion } from '../../../../server/events/room-versions.js';
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  CAROL,
  createEvent,
  expectAllowed,
  expectDenied,
  member,
  newRoom,
  ruleAt,
  versionsWhere,
} from './room.js';

const version = (id: string): RoomVersion => roomVersion(id) as RoomVersion;
const checkCreate = (id: string, change: (e: ReturnType<typeof createEvent>) => void) => {
  const v = version(id);
  const create = createEvent(v);
  change(create);
  return checkEventAuth(create, () => undefined, v);
};

describe('rule 1: m.room.create', () => {
  it.each(ALL_VERSIONS)('v%s allows a well-formed create event (1.5 / v11 1.4)', (id) => {
    expectAllowed(checkCreate(id, () => {}));
  });

  it.each(ALL_VERSIONS)('v%s refuses a create event with prev_events (1.1)', (id) => {
    expectDenied(
      checkCreate(id, (e) => (e.prev_events = ['$x'])),
      `v${id} 1.1`,
    );
  });

  it.each(versionsWhere((v) => !v.roomIdFromCreateEvent))(
    "v%s refuses a room id on another server than the sender's (1.2)",
    (id) => {
      expectDenied(
        checkCreate(id, (e) => (e.room_id = '!room:other.org')),
        `v${id} 1.2`,
      );
    },
  );

  it('v12 refuses a create event that has a room id (1.2)', () => {
    expectDenied(
      checkCreate('12', (e) => (e.room_id = '!room:example.org')),
      'v12 1.2',
    );
  });

  it.each(ALL_VERSIONS)('v%s refuses an unknown room_version (1.3)', (id) => {
    expectDenied(
      checkCreate(id, (e) => (e.content.room_version = '99')),
      `v${id} 1.3`,
    );
    expectDenied(
      checkCreate(id, (e) => (e.content.room_version = 12)),
      `v${id} 1.3`,
    );
    expectAllowed(checkCreate(id, (e) => delete e.content.room_version));
  });

  it.each(versionsWhere((v) => !v.implicitRoomCreator))(
    'v%s refuses a create event without creator (1.4)',
    (id) => {
      expectDenied(
        checkCreate(id, (e) => delete e.content.creator),
        `v${id} 1.4`,
      );
    },
  );

  it.each(['11', '12'])('v%s needs no creator field (the sender is the creator)', (id) => {
    expectAllowed(checkCreate(id, (e) => delete e.content.creator));
  });

  it('v12 checks additional_creators (1.4)', () => {
    expectAllowed(checkCreate('12', (e) => (e.content.additional_creators = [BOB, CAROL])));
    expectAllowed(checkCreate('12', (e) => (e.content.additional_creators = [])));
    for (const bad of ['@bob', [BOB, 'bob'], [BOB, 7], BOB, null]) {
      expectDenied(
        checkCreate('12', (e) => (e.content.additional_creators = bad)),
        'v12 1.4',
      );
    }
  });

  it('v11 ignores additional_creators', () => {
    expectAllowed(checkCreate('11', (e) => (e.content.additional_creators = 'nonsense')));
  });
});

describe('v12 rule 2: the room id names the create event', () => {
  it('allows an event whose room id is the create event id with !', () => {
    const room = newRoom('12', { joinRule: 'public' });
    expectAllowed(room.check(member(room.v, BOB, 'join')));
  });

  it('refuses an event of another room id', () => {
    const room = newRoom('12', { joinRule: 'public' });
    const join = { ...member(room.v, BOB, 'join'), room_id: '!otherhash' };
    expectDenied(room.check(join), 'v12 2');
  });

  it('refuses an event when the room has no create event', () => {
    const room = newRoom('12', { joinRule: 'public' }).unset('m.room.create');
    expectDenied(room.check(member(room.v, BOB, 'join')), 'v12 2');
  });
});

describe('no create event in the state', () => {
  it.each(versionsWhere((v) => !v.roomIdFromCreateEvent))(
    'v%s refuses any other event (2.4)',
    (id) => {
      const room = newRoom(id, { joinRule: 'public' }).unset('m.room.create');
      expectDenied(room.check(member(room.v, BOB, 'join')), ruleAt(id, { '1-11': '2.4' }));
    },
  );
});

describe('rule 3 (v12: 4): m.federate', () => {
  it.each(ALL_VERSIONS)('v%s refuses other servers when m.federate is false', (id) => {
    const room = newRoom(id, { joinRule: 'public', createContent: { 'm.federate': false } });
    expectDenied(room.check(member(room.v, CAROL, 'join')), ruleAt(id, { '1-11': '3', '12': '4' }));
    expectAllowed(room.check(member(room.v, BOB, 'join')));
  });

  it.each(ALL_VERSIONS)('v%s lets other servers in by default', (id) => {
    const room = newRoom(id, { joinRule: 'public' });
    expectAllowed(room.check(member(room.v, CAROL, 'join')));
    expect(ALICE).toBe(room.state.get('m.room.create|')?.sender);
  });
});
