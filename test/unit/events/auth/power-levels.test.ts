import { describe, it } from 'vitest';
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  CAROL,
  DAVE,
  ev,
  expectAllowed,
  expectDenied,
  newRoom,
  versionsWhere,
  type TestRoom,
} from './room.js';

type Step =
  | 'ints'
  | 'maps'
  | 'users'
  | 'creators'
  | 'noPrevious'
  | 'top'
  | 'eventsRemoved'
  | 'eventsAdded'
  | 'usersRemoved'
  | 'usersAdded';

/** The number of each power levels rule, as each version's list has it. */
function plRule(id: string, step: Step): string {
  const n = Number(id);
  const top = n <= 5 || n === 12 ? 10 : 9;
  const order: Step[] = [
    ...(n >= 10 ? (['ints', 'maps'] as Step[]) : []),
    'users',
    ...(n >= 12 ? (['creators'] as Step[]) : []),
    'noPrevious',
    'top',
    'eventsRemoved',
    'eventsAdded',
    'usersRemoved',
    'usersAdded',
  ];
  const sub = order.indexOf(step) + 1;
  if (sub === 0) throw new Error(`v${id} has no ${step} rule`);
  return `v${id} ${top}.${sub}`;
}

/** A room where Bob (50) and Dave (50) are joined, with extra power level content. */
function moderated(id: string, extra: Record<string, unknown> = {}): TestRoom {
  const users = { ...(id === '12' ? {} : { [ALICE]: 100 }), [BOB]: 50, [DAVE]: 50 };
  return newRoom(id, {
    members: { [BOB]: 'join', [DAVE]: 'join' },
    powerLevels: { users, ...extra },
  });
}

/** Bob's new power levels: the current content with `change` applied. */
function bobSets(room: TestRoom, change: (c: Record<string, unknown>) => void) {
  const current = room.state.get('m.room.power_levels|')?.content ?? {};
  const content = structuredClone(current);
  change(content);
  return room.check(ev(room.v, 'm.room.power_levels', BOB, content, ''));
}

describe('power levels: the shape of the content', () => {
  it.each(ALL_VERSIONS)('v%s refuses users that are not user ids with levels', (id) => {
    const room = moderated(id);
    for (const users of [5, null, { bob: 10 }, { [CAROL]: 'ten' }, { [CAROL]: true }]) {
      expectDenied(
        bobSets(room, (c) => (c.users = users)),
        plRule(id, 'users'),
      );
    }
    const first = newRoom(id, { powerLevels: false });
    expectAllowed(first.check(ev(first.v, 'm.room.power_levels', ALICE, { ban: 50 }, '')));
  });

  it.each(versionsWhere((v) => !v.integerPowerLevels))('v%s accepts string levels', (id) => {
    const room = moderated(id);
    expectAllowed(
      bobSets(room, (c) => (c.users = { [ALICE]: '100', [BOB]: ' +050 ', [DAVE]: '50' })),
    );
    expectAllowed(bobSets(room, (c) => (c.kick = '40')));
  });

  it.each(versionsWhere((v) => !v.integerPowerLevels))(
    'v%s reads string levels of the current event as numbers',
    (id) => {
      const room = moderated(id, { ban: '0100', events: { 'm.room.name': ' 60' } });
      expectDenied(
        bobSets(room, (c) => (c.ban = 50)),
        plRule(id, 'top') + '.1',
      );
      expectDenied(
        bobSets(room, (c) => (c.events = {})),
        plRule(id, 'eventsRemoved') + '.1',
      );
    },
  );

  it.each(versionsWhere((v) => v.integerPowerLevels))('v%s refuses string levels', (id) => {
    const room = moderated(id);
    expectDenied(
      bobSets(room, (c) => (c.kick = '40')),
      plRule(id, 'ints'),
    );
    expectDenied(
      bobSets(room, (c) => (c.users_default = 1.5)),
      plRule(id, 'ints'),
    );
    expectDenied(
      bobSets(room, (c) => (c.events = { x: '1' })),
      plRule(id, 'maps'),
    );
    expectDenied(
      bobSets(room, (c) => (c.events = [])),
      plRule(id, 'maps'),
    );
    expectDenied(
      bobSets(room, (c) => (c.notifications = { room: '50' })),
      plRule(id, 'maps'),
    );
    expectDenied(
      bobSets(room, (c) => (c.users = { [DAVE]: '50' })),
      plRule(id, 'users'),
    );
    expectAllowed(bobSets(room, (c) => (c.notifications = { room: 50 })));
  });

  it.each(versionsWhere((v) => !v.strictCanonicalJson))('v%s truncates float levels', (id) => {
    const room = moderated(id, { users: { [ALICE]: 100, [BOB]: 50.57, [DAVE]: 50 } });
    expectAllowed(bobSets(room, (c) => (c.events_default = 50)));
    expectDenied(
      bobSets(room, (c) => (c.events_default = 51)),
      plRule(id, 'top') + '.2',
    );
  });

  it.each(versionsWhere((v) => v.strictCanonicalJson && !v.integerPowerLevels))(
    'v%s refuses float user levels',
    (id) => {
      const room = moderated(id);
      expectDenied(
        bobSets(room, (c) => (c.users = { [BOB]: 50.5 })),
        plRule(id, 'users'),
      );
    },
  );
});

describe('power levels: the first power levels event', () => {
  it.each(ALL_VERSIONS)('v%s allows any well-formed first event from the creator', (id) => {
    const room = newRoom(id, { powerLevels: false });
    const users = { [BOB]: 100, [DAVE]: 9000 };
    expectAllowed(room.check(ev(room.v, 'm.room.power_levels', ALICE, { users, ban: 1000 }, '')));
  });

  it.each(ALL_VERSIONS)('v%s still needs the sender to be allowed to send it', (id) => {
    const room = newRoom(id, { powerLevels: false, members: { [BOB]: 'join' } });
    const first = ev(room.v, 'm.room.power_levels', BOB, { users: { [BOB]: 100 } }, '');
    const rule = Number(id) <= 5 || id === '12' ? `v${id} 8` : `v${id} 7`;
    expectDenied(room.check(first), rule);
  });
});

describe('power levels: changes within the sender\u2019s power', () => {
  it.each(ALL_VERSIONS)('v%s checks the top-level levels (.1, .2)', (id) => {
    const room = moderated(id, { kick: 60 });
    expectAllowed(bobSets(room, (c) => (c.ban = 40)));
    expectAllowed(bobSets(room, (c) => (c.redact = 50)));
    expectDenied(
      bobSets(room, (c) => (c.kick = 40)),
      plRule(id, 'top') + '.1',
    );
    expectDenied(
      bobSets(room, (c) => delete c.kick),
      plRule(id, 'top') + '.1',
    );
    expectDenied(
      bobSets(room, (c) => (c.invite = 51)),
      plRule(id, 'top') + '.2',
    );
  });

  it.each(ALL_VERSIONS)('v%s checks entries of events', (id) => {
    const room = moderated(id, { events: { 'm.room.name': 60, 'm.room.topic': 50 } });
    expectAllowed(bobSets(room, (c) => (c.events = { 'm.room.name': 60, 'm.room.topic': 10 })));
    expectAllowed(bobSets(room, (c) => (c.events = { 'm.room.name': 60, 'x.y': 50 })));
    const removed = plRule(id, 'eventsRemoved') + '.1';
    const added = plRule(id, 'eventsAdded') + '.1';
    expectDenied(
      bobSets(room, (c) => (c.events = { 'm.room.topic': 50 })),
      removed,
    );
    expectDenied(
      bobSets(room, (c) => (c.events = { 'm.room.name': 50 })),
      removed,
    );
    expectDenied(
      bobSets(room, (c) => (c.events = { 'm.room.name': 60, 'x.y': 51 })),
      added,
    );
  });

  it.each(versionsWhere((v) => v.limitNotificationsPowerLevels))(
    'v%s checks entries of notifications like events',
    (id) => {
      const room = moderated(id, { notifications: { room: 60 } });
      expectDenied(
        bobSets(room, (c) => (c.notifications = { room: 0 })),
        plRule(id, 'eventsRemoved') + '.1',
      );
      expectDenied(
        bobSets(room, (c) => (c.notifications = { room: 60, other: 99 })),
        plRule(id, 'eventsAdded') + '.1',
      );
      expectAllowed(bobSets(room, (c) => (c.notifications = { room: 60, other: 50 })));
    },
  );

  it.each(versionsWhere((v) => !v.limitNotificationsPowerLevels))(
    'v%s does not check notifications',
    (id) => {
      const room = moderated(id, { notifications: { room: 60 } });
      expectAllowed(bobSets(room, (c) => (c.notifications = { room: 100, other: 99 })));
    },
  );

  it.each(ALL_VERSIONS)('v%s checks entries of users', (id) => {
    const room = moderated(id);
    const removed = plRule(id, 'usersRemoved') + '.1';
    const added = plRule(id, 'usersAdded') + '.1';
    expectAllowed(bobSets(room, (c) => ((c.users as Record<string, number>)[CAROL] = 50)));
    expectAllowed(bobSets(room, (c) => ((c.users as Record<string, number>)[BOB] = 10)));
    expectDenied(
      bobSets(room, (c) => ((c.users as Record<string, number>)[DAVE] = 0)),
      removed,
    );
    expectDenied(
      bobSets(room, (c) => delete (c.users as Record<string, number>)[DAVE]),
      removed,
    );
    expectDenied(
      bobSets(room, (c) => ((c.users as Record<string, number>)[CAROL] = 51)),
      added,
    );
    expectDenied(
      bobSets(room, (c) => ((c.users as Record<string, number>)[BOB] = 51)),
      added,
    );
  });

  it.each(versionsWhere((v) => !v.privilegedCreators))('v%s protects the creator at 100', (id) => {
    const room = moderated(id);
    expectDenied(
      bobSets(room, (c) => ((c.users as Record<string, number>)[ALICE] = 0)),
      plRule(id, 'usersRemoved') + '.1',
    );
  });
});

describe('power levels: v12 creators', () => {
  it('refuses listing the creator or an additional creator in users (10.4)', () => {
    const room = newRoom('12', {
      members: { [CAROL]: 'join' },
      createContent: { additional_creators: [CAROL] },
    });
    const set = (users: Record<string, number>) =>
      room.check(ev(room.v, 'm.room.power_levels', ALICE, { users }, ''));
    expectDenied(set({ [ALICE]: 100 }), plRule('12', 'creators'));
    expectDenied(set({ [CAROL]: 100 }), plRule('12', 'creators'));
    expectAllowed(set({ [BOB]: 9_007_199_254_740_991 }));
  });

  it('lets an additional creator change any level', () => {
    const room = moderated('12');
    room.set({
      ...room.state.get('m.room.create|')!,
      content: { room_version: '12', additional_creators: [CAROL] },
    });
    room.set(ev(room.v, 'm.room.member', CAROL, { membership: 'join' }, CAROL));
    const content = { users: { [BOB]: 0 }, ban: 9_007_199_254_740_991 };
    expectAllowed(room.check(ev(room.v, 'm.room.power_levels', CAROL, content, '')));
  });

  it.each(['10', '11'])('v%s allows the creator in users', (id) => {
    const room = moderated(id);
    expectAllowed(bobSets(room, () => {}));
  });
});
