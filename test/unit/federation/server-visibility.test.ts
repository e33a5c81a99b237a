import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendLocalEvent } from '../../../server/events/persist.js';
import { getServableEvents } from '../../../server/federation/reads/store.js';
import {
  serverInRoom,
  serverVisibilityTest,
} from '../../../server/federation/server-visibility.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * "May server S see event E" (server/federation/server-visibility.ts), table-driven: for
 * each history visibility, what remote.test's users' membership at the event was, and
 * whether remote.test is in the room now, whether it sees a message sent then.
 */

const REMOTE = 'remote.test';
const BOB = `@bob:${REMOTE}`;
let s: TestServer;
let alice: { userId: string; token: string };

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
});
afterAll(() => s.close());

type Membership = 'none' | 'invite' | 'join' | 'leave';

/** A room with `visibility`, bob's membership `m` at a message, and that message's id. */
async function scenario(
  visibility: string,
  m: Membership,
): Promise<{ roomId: string; eventId: string }> {
  const r = await s.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: {
      preset: 'public_chat',
      initial_state: [
        {
          type: 'm.room.history_visibility',
          state_key: '',
          content: { history_visibility: visibility },
        },
      ],
    },
  });
  const roomId = r.json().room_id as string;
  const member = (sender: string, membership: string) =>
    sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.member',
      stateKey: BOB,
      sender,
      content: { membership },
    });
  if (m === 'invite') await member(alice.userId, 'invite');
  if (m === 'join' || m === 'leave') await member(BOB, 'join');
  if (m === 'leave') await member(BOB, 'leave');
  const sent = await sendLocalEvent(s.ctx, {
    roomId,
    type: 'm.room.message',
    sender: alice.userId,
    content: { msgtype: 'm.text', body: 'x' },
  });
  return { roomId, eventId: sent.eventId };
}

async function sees(eventId: string, inRoom: boolean): Promise<boolean> {
  const [row] = await getServableEvents(s.ctx.db, [eventId]);
  return serverVisibilityTest(s.ctx, REMOTE, inRoom)(row!);
}

// [history_visibility, membership at the event, in the room now, visible]
const CASES: [string, Membership, boolean, boolean][] = [
  ['world_readable', 'none', false, true],
  ['shared', 'none', true, true],
  ['shared', 'none', false, false],
  ['shared', 'leave', false, false],
  ['invited', 'invite', true, true],
  ['invited', 'join', true, true],
  ['invited', 'none', true, false],
  ['invited', 'leave', true, false],
  ['joined', 'join', true, true],
  ['joined', 'invite', true, false],
  ['joined', 'none', true, false],
  ['joined', 'leave', true, false],
  ['unknown_value', 'none', true, true],
];

describe('serverVisibilityTest', () => {
  it.each(CASES)(
    '%s, membership %s, in room now %s -> visible %s',
    async (hv, m, inRoom, visible) => {
      const { eventId } = await scenario(hv, m);
      expect(await sees(eventId, inRoom)).toBe(visible);
    },
  );

  it("sees its own user's member event when the state before or after allows it", async () => {
    const { roomId } = await scenario('joined', 'none');
    const join = await sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.member',
      stateKey: BOB,
      sender: BOB,
      content: { membership: 'join' },
    });
    const leave = await sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.member',
      stateKey: BOB,
      sender: BOB,
      content: { membership: 'leave' },
    });
    expect(await sees(join.eventId, false)).toBe(true);
    // After the leave no member of remote.test is joined, but before it bob was.
    expect(await sees(leave.eventId, false)).toBe(true);
  });
});

describe('serverInRoom', () => {
  it('is true only while a user of the server is joined', async () => {
    const joined = await scenario('shared', 'join');
    expect(await serverInRoom(s.ctx, joined.roomId, REMOTE)).toBe(true);
    expect(await serverInRoom(s.ctx, joined.roomId, 'ote.test')).toBe(false);
    const left = await scenario('shared', 'leave');
    expect(await serverInRoom(s.ctx, left.roomId, REMOTE)).toBe(false);
    const invited = await scenario('shared', 'invite');
    expect(await serverInRoom(s.ctx, invited.roomId, REMOTE)).toBe(false);
  });
});
