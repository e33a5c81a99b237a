import { describe, expect, it } from 'vitest';
import { ALICE, ALL_VERSIONS, BOB, ev, newRoom } from './room.js';

const GARBAGE: unknown[] = [null, 0, -1, 1.5, '', 'x', '@', [], [null], {}, { a: null }, true];
const TYPES = [
  'm.room.create',
  'm.room.member',
  'm.room.power_levels',
  'm.room.join_rules',
  'm.room.third_party_invite',
  'm.room.aliases',
  'm.room.redaction',
  'm.room.message',
];
const FIELDS = [
  'membership',
  'third_party_invite',
  'join_authorised_via_users_server',
  'users',
  'events',
  'notifications',
  'ban',
  'room_version',
  'additional_creators',
  'creator',
  'join_rule',
];

describe('bad input', () => {
  it.each(ALL_VERSIONS)('v%s answers every malformed event without throwing', (id) => {
    const room = newRoom(id, { joinRule: 'public', members: { [BOB]: 'join' } });
    for (const type of TYPES) {
      for (const field of FIELDS) {
        for (const value of GARBAGE) {
          for (const stateKey of [undefined, '', BOB, '@nobody']) {
            const event = ev(room.v, type, ALICE, { [field]: value }, stateKey);
            const result = room.check(event);
            expect(typeof result.ok).toBe('boolean');
          }
        }
      }
    }
  });

  it.each(ALL_VERSIONS)('v%s survives a malformed room state', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'join' } });
    for (const value of GARBAGE) {
      room.set(
        ev(room.v, 'm.room.power_levels', ALICE, { users: value, events: value, ban: value }, ''),
      );
      room.set(ev(room.v, 'm.room.join_rules', ALICE, { join_rule: value }, ''));
      room.set(ev(room.v, 'm.room.member', BOB, { membership: value }, BOB));
      const result = room.check(ev(room.v, 'm.room.message', BOB, {}));
      expect(typeof result.ok).toBe('boolean');
    }
  });
});
