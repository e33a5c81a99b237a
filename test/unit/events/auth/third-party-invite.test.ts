import { describe, it } from 'vitest';
import { signJson, signingKeyFromSeed } from '../../../../server/core/signing.js';
import type { RoomVersion } from '../../../../server/events/room-versions.js';
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  DAVE,
  ev,
  expectAllowed,
  expectDenied,
  member,
  newRoom,
  ruleAt,
} from './room.js';

const idServerKey = signingKeyFromSeed('0', Buffer.alloc(32, 7));
const otherKey = signingKeyFromSeed('1', Buffer.alloc(32, 9));

/** Rule `<invite>.1.<sub>`: 5.3.1 (v1-5), 4.3.1 (v6-7), 4.4.1 (v8-11), 5.4.1 (v12). */
const tpiRule = (id: string, sub: number) =>
  ruleAt(id, {
    '1-5': `5.3.1.${sub}`,
    '6-7': `4.3.1.${sub}`,
    '8-11': `4.4.1.${sub}`,
    '12': `5.4.1.${sub}`,
  });

function signed(fields: Record<string, unknown>, key = idServerKey) {
  return signJson(fields, 'id.example.org', key);
}

/** Alice's m.room.third_party_invite for token `tok`, with keys in either property. */
function thirdPartyInvite(v: RoomVersion, where: 'public_key' | 'public_keys', sender = ALICE) {
  const key = idServerKey.publicKeyBase64;
  const content =
    where === 'public_key'
      ? { display_name: 'b...@example.com', public_key: key }
      : {
          display_name: 'b...@example.com',
          public_keys: [{ public_key: otherKey.publicKeyBase64 }, { public_key: key }],
        };
  return ev(v, 'm.room.third_party_invite', sender, content, 'tok');
}

function inviteWith(v: RoomVersion, thirdParty: unknown, target = BOB, sender = ALICE) {
  return member(v, target, 'invite', sender, { third_party_invite: thirdParty });
}

describe('membership invite with third_party_invite', () => {
  it.each(ALL_VERSIONS)('v%s allows a signed invite with public_key or public_keys (.7)', (id) => {
    for (const where of ['public_key', 'public_keys'] as const) {
      const room = newRoom(id);
      room.set(thirdPartyInvite(room.v, where));
      const invite = inviteWith(room.v, { signed: signed({ mxid: BOB, token: 'tok' }) });
      expectAllowed(room.check(invite));
    }
  });

  it.each(ALL_VERSIONS)('v%s refuses a banned target (.1)', (id) => {
    const room = newRoom(id, { members: { [BOB]: 'ban' } });
    room.set(thirdPartyInvite(room.v, 'public_key'));
    const invite = inviteWith(room.v, { signed: signed({ mxid: BOB, token: 'tok' }) });
    expectDenied(room.check(invite), tpiRule(id, 1));
  });

  it.each(ALL_VERSIONS)('v%s refuses a missing signed block (.2)', (id) => {
    const room = newRoom(id);
    room.set(thirdPartyInvite(room.v, 'public_key'));
    expectDenied(room.check(inviteWith(room.v, {})), tpiRule(id, 2));
    expectDenied(room.check(inviteWith(room.v, 'signed')), tpiRule(id, 2));
  });

  it.each(ALL_VERSIONS)('v%s refuses a signed block without mxid or token (.3)', (id) => {
    const room = newRoom(id);
    room.set(thirdPartyInvite(room.v, 'public_key'));
    expectDenied(room.check(inviteWith(room.v, { signed: signed({ mxid: BOB }) })), tpiRule(id, 3));
    expectDenied(
      room.check(inviteWith(room.v, { signed: signed({ token: 'tok' }) })),
      tpiRule(id, 3),
    );
  });

  it.each(ALL_VERSIONS)('v%s refuses an mxid that is not the target (.4)', (id) => {
    const room = newRoom(id);
    room.set(thirdPartyInvite(room.v, 'public_key'));
    const invite = inviteWith(room.v, { signed: signed({ mxid: DAVE, token: 'tok' }) });
    expectDenied(room.check(invite), tpiRule(id, 4));
  });

  it.each(ALL_VERSIONS)('v%s refuses a token with no m.room.third_party_invite (.5)', (id) => {
    const room = newRoom(id);
    room.set(thirdPartyInvite(room.v, 'public_key'));
    const invite = inviteWith(room.v, { signed: signed({ mxid: BOB, token: 'other' }) });
    expectDenied(room.check(invite), tpiRule(id, 5));
  });

  it.each(ALL_VERSIONS)('v%s refuses a sender other than the inviter (.6)', (id) => {
    const room = newRoom(id, { members: { [DAVE]: 'join' } });
    room.set(thirdPartyInvite(room.v, 'public_key'));
    const invite = inviteWith(room.v, { signed: signed({ mxid: BOB, token: 'tok' }) }, BOB, DAVE);
    expectDenied(room.check(invite), tpiRule(id, 6));
  });

  it.each(ALL_VERSIONS)('v%s refuses a signature of another key or a forged one (.8)', (id) => {
    const room = newRoom(id);
    room.set(thirdPartyInvite(room.v, 'public_key'));
    const wrongKey = signed({ mxid: BOB, token: 'tok' }, otherKey);
    expectDenied(room.check(inviteWith(room.v, { signed: wrongKey })), tpiRule(id, 8));
    const tampered = { ...signed({ mxid: BOB, token: 'tok' }), extra: 1 };
    expectDenied(room.check(inviteWith(room.v, { signed: tampered })), tpiRule(id, 8));
    const unsigned = { mxid: BOB, token: 'tok', signatures: { x: { y: 'not base64!' } } };
    expectDenied(room.check(inviteWith(room.v, { signed: unsigned })), tpiRule(id, 8));
  });
});
