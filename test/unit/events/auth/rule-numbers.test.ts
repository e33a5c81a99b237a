import { describe, expect, it } from 'vitest';
import { ruleNumbers } from '../../../../server/events/auth/rule-numbers.js';
import { roomVersion, type RoomVersion } from '../../../../server/events/room-versions.js';

const version = (id: string): RoomVersion => roomVersion(id) as RoomVersion;

// Spot checks against the lists in rooms/v1.md .. v12.md (as rendered).
describe('ruleNumbers', () => {
  const cases: [string, Partial<Record<keyof ReturnType<typeof ruleNumbers>, string>>][] = [
    [
      '1',
      {
        aliases: '4',
        member: '5',
        join: '5.2',
        joinPublic: '5.2.5',
        powerLevels: '10',
        redaction: '11',
        allow: '12',
      },
    ],
    ['3', { aliases: '4', senderJoined: '6', plAllow: '10.8', allow: '11' }],
    ['6', { member: '4', invite: '4.3', memberUnknown: '4.6', powerLevels: '9', allow: '10' }],
    ['7', { knock: '4.6', memberUnknown: '4.7', joinOtherwise: '4.2.6' }],
    [
      '8',
      {
        memberAuthorisedSigned: '4.2.1',
        join: '4.3',
        joinRestricted: '4.3.5',
        joinOtherwise: '4.3.7',
        knock: '4.7',
        memberUnknown: '4.8',
      },
    ],
    [
      '10',
      {
        plIntegers: '9.1',
        plMaps: '9.2',
        plUsers: '9.3',
        plNoPrevious: '9.4',
        plAllow: '9.10',
        createContent: '1.4',
      },
    ],
    ['11', { authNoCreate: '2.4', authRoomId: '2.5', thirdPartyInvite: '6', stateKeyUser: '8' }],
    [
      '12',
      {
        roomIdIsCreate: '2',
        authEvents: '3',
        authRoomId: '3.4',
        federate: '4',
        member: '5',
        senderJoined: '6',
        plCreators: '10.4',
        plUsersAdded: '10.10',
        plAllow: '10.11',
        allow: '11',
      },
    ],
  ];
  it.each(cases)('v%s', (id, expected) => {
    expect(ruleNumbers(version(id))).toMatchObject(expected);
  });

  it('drops the rules a version does not have', () => {
    const v11 = ruleNumbers(version('11'));
    expect([v11.createContent, v11.aliases, v11.redaction, v11.roomIdIsCreate]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const v6 = ruleNumbers(version('6'));
    expect([v6.knock, v6.joinRestricted, v6.plIntegers]).toEqual([undefined, undefined, undefined]);
  });
});
