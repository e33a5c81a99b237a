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
  ruleAt,
  versionsWhere,
} from './room.js';

const AFTER_MEMBER = (rule: number) => ({
  '1-5': String(rule + 1),
  '6-11': String(rule),
  '12': String(rule + 1),
});

describe('the sender must be joined (rule 6 in v1-v5 and v12, 5 in v6-v11)', () => {
  it.each(ALL_VERSIONS)('v%s allows a message from a member', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    expectAllowed(room.check(ev(room.v, 'm.room.message', BOB, { body: 'hi' })));
  });

  it.each(ALL_VERSIONS)('v%s refuses a message from an invited or absent user', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'invite' } });
    const rule = ruleAt(id, AFTER_MEMBER(5));
    expectDenied(room.check(ev(room.v, 'm.room.message', BOB, { body: 'hi' })), rule);
    expectDenied(room.check(ev(room.v, 'm.room.message', DAVE, { body: 'hi' })), rule);
  });
});

describe('m.room.third_party_invite (rule 7 / 6 / 7)', () => {
  it.each(ALL_VERSIONS)('v%s allows it at the invite level, refuses it below', (id) => {
    const users = id === '12' ? {} : { [ALICE]: 100 };
    const room = newRoom(id, { members: { [BOB]: 'join' }, powerLevels: { users, invite: 10 } });
    const invite = (sender: string) =>
      ev(room.v, 'm.room.third_party_invite', sender, { display_name: 'x' }, 'tok');
    expectAllowed(room.check(invite(ALICE)));
    expectDenied(room.check(invite(BOB)), ruleAt(id, AFTER_MEMBER(6)) + '.1');
  });
});

describe("the event type's required power level (rule 8 / 7 / 8)", () => {
  it.each(ALL_VERSIONS)('v%s applies events, state_default and events_default', (id) => {
    const users = id === '12' ? { [BOB]: 10 } : { [ALICE]: 100, [BOB]: 10 };
    const room = newRoom(id, {
      members: { [BOB]: 'join' },
      powerLevels: { users, events: { 'm.room.topic': 5, 'm.reaction': 20 }, events_default: 10 },
    });
    const rule = ruleAt(id, AFTER_MEMBER(7));
    expectAllowed(room.check(ev(room.v, 'm.room.message', BOB, {})));
    expectAllowed(room.check(ev(room.v, 'm.room.topic', BOB, { topic: 't' }, '')));
    expectDenied(room.check(ev(room.v, 'm.reaction', BOB, {})), rule);
    expectDenied(room.check(ev(room.v, 'm.room.name', BOB, { name: 'n' }, '')), rule);
    expectAllowed(room.check(ev(room.v, 'm.room.name', ALICE, { name: 'n' }, '')));
  });

  it.each(ALL_VERSIONS)('v%s without power levels: state needs 50, the creator has it', (id) => {
    const room = newRoom(id, { powerLevels: false, members: { [BOB]: 'join' } });
    const rule = ruleAt(id, AFTER_MEMBER(7));
    expectAllowed(room.check(ev(room.v, 'm.room.name', ALICE, { name: 'n' }, '')));
    expectDenied(room.check(ev(room.v, 'm.room.name', BOB, { name: 'n' }, '')), rule);
    expectAllowed(room.check(ev(room.v, 'm.room.message', BOB, {})));
  });

  it.each(versionsWhere((v) => v.privilegedCreators))(
    'v%s gives creators and additional creators infinite power',
    (id) => {
      const room = newRoom(id, {
        members: { [CAROL]: 'join' },
        powerLevels: { events: { 'm.room.tombstone': 9_007_199_254_740_991 } },
        createContent: { additional_creators: [CAROL] },
      });
      expectAllowed(room.check(ev(room.v, 'm.room.tombstone', ALICE, {}, '')));
      expectAllowed(room.check(ev(room.v, 'm.room.tombstone', CAROL, {}, '')));
    },
  );

  it.each(['1', '10', '11'])('v%s gives additional_creators no power', (id) => {
    const room = newRoom(id, {
      members: { [CAROL]: 'join' },
      createContent: { additional_creators: [CAROL] },
    });
    expectDenied(room.check(ev(room.v, 'm.room.name', CAROL, {}, '')), ruleAt(id, AFTER_MEMBER(7)));
  });
});

describe('state keys naming users (rule 9 / 8 / 9)', () => {
  it.each(ALL_VERSIONS)("v%s refuses setting another user's state", (id) => {
    const room = newRoom(id, { powerLevels: { users: {}, state_default: 0 } });
    room.set(ev(room.v, 'm.room.member', BOB, { membership: 'join' }, BOB));
    expectAllowed(room.check(ev(room.v, 'org.example.status', BOB, {}, BOB)));
    expectAllowed(room.check(ev(room.v, 'org.example.status', BOB, {}, 'not-a-user')));
    expectDenied(
      room.check(ev(room.v, 'org.example.status', BOB, {}, ALICE)),
      ruleAt(id, AFTER_MEMBER(8)),
    );
  });
});

describe('m.room.aliases (rule 4 in v1-v5 only)', () => {
  const special = versionsWhere((v) => v.specialCaseAliasesAuth);

  it.each(special)("v%s allows aliases of the sender's server from anyone", (id) => {
    const room = newRoom(id);
    // Not even membership or power is needed: rule 4 allows before those rules.
    expectAllowed(room.check(ev(room.v, 'm.room.aliases', DAVE, { aliases: [] }, 'example.org')));
  });

  it.each(special)('v%s refuses aliases without state_key (4.1)', (id) => {
    const room = newRoom(id);
    expectDenied(room.check(ev(room.v, 'm.room.aliases', ALICE, { aliases: [] })), `v${id} 4.1`);
  });

  it.each(special)('v%s refuses aliases of another server (4.2)', (id) => {
    const room = newRoom(id);
    const aliases = ev(room.v, 'm.room.aliases', ALICE, { aliases: [] }, 'other.org');
    expectDenied(room.check(aliases), `v${id} 4.2`);
  });

  it.each(versionsWhere((v) => !v.specialCaseAliasesAuth))(
    'v%s treats aliases as any state event',
    (id) => {
      const room = newRoom(id, { members: { [BOB]: 'join' } });
      const rule = ruleAt(id, AFTER_MEMBER(7));
      expectDenied(room.check(ev(room.v, 'm.room.aliases', BOB, {}, 'example.org')), rule);
      expectAllowed(room.check(ev(room.v, 'm.room.aliases', ALICE, {}, 'other.org')));
    },
  );
});

describe('m.room.redaction', () => {
  const redaction = (eventId: string, redacts: string) => ({
    event_id: eventId,
    redacts,
  });

  it.each(['1', '2'])('v%s allows redactions at the redact level (11.1)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    const r = ev(
      room.v,
      'm.room.redaction',
      ALICE,
      {},
      undefined,
      redaction('$r:example.org', '$x:other.org'),
    );
    expectAllowed(room.check(r));
  });

  it.each(['1', '2'])('v%s allows redacting events of the same server (11.2)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    const r = ev(
      room.v,
      'm.room.redaction',
      BOB,
      {},
      undefined,
      redaction('$r:example.org', '$x:example.org'),
    );
    expectAllowed(room.check(r));
  });

  it.each(['1', '2'])(
    "v%s refuses redacting another server's events below the level (11.3)",
    (id) => {
      const room = newRoom(id, { members: { [BOB]: 'join' } });
      const r = ev(
        room.v,
        'm.room.redaction',
        BOB,
        {},
        undefined,
        redaction('$r:example.org', '$x:other.org'),
      );
      expectDenied(room.check(r), `v${id} 11.3`);
    },
  );

  it.each(versionsWhere((v) => v.eventIdFormat !== 'server'))(
    'v%s leaves the redact level to the redaction handling (any member may send one)',
    (id) => {
      const room = newRoom(id, { members: { [BOB]: 'join' } });
      const r = ev(room.v, 'm.room.redaction', BOB, { redacts: '$x' }, undefined, {
        redacts: '$x',
      });
      expectAllowed(room.check(r));
    },
  );
});
