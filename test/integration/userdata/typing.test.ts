import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendLocalEvent } from '../../../server/events/persist.js';
import { currentTypingUsers, getTypingSince } from '../../../server/userdata/typing.js';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Typing notifications: who types where, for how long, and the stream /sync reads. */

const V3 = '/_matrix/client/v3';
let s: TestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let carol: { userId: string; token: string };
let roomId: string;

const e = encodeURIComponent;
const typing = (
  who: { userId: string; token: string },
  body: unknown,
  opts: { room?: string; userId?: string } = {},
) =>
  s.req('PUT', `${V3}/rooms/${e(opts.room ?? roomId)}/typing/${e(opts.userId ?? who.userId)}`, {
    token: who.token,
    body,
  });

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  roomId = (
    await s.req('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat' } })
  ).json().room_id;
  await sendLocalEvent(s.ctx, {
    roomId,
    type: 'm.room.member',
    stateKey: bob.userId,
    sender: bob.userId,
    content: { membership: 'join' },
  });
});
afterAll(() => s.close());

describe('typing', () => {
  it('start and stop, each a change of the stream that wakes the room', async () => {
    const start = getTypingSince(s.ctx, [roomId], 0).streamId;
    const woken = s.ctx.notifier.wait([roomId], 5_000);
    const r = await typing(alice, { typing: true, timeout: 30_000 });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect(await woken).toBe(true);
    await typing(bob, { typing: true });
    expect(currentTypingUsers(s.ctx, roomId).sort()).toEqual([alice.userId, bob.userId].sort());

    const mid = getTypingSince(s.ctx, [roomId], start);
    expect(mid.streamId).toBe(start + 2);
    expect(mid.rooms[roomId]!.user_ids.sort()).toEqual([alice.userId, bob.userId].sort());

    // Renewing a running notice changes nothing a client sees.
    await typing(alice, { typing: true, timeout: 30_000 });
    expect(getTypingSince(s.ctx, [roomId], mid.streamId)).toEqual({
      streamId: mid.streamId,
      rooms: {},
    });

    await typing(alice, { typing: false });
    const stopped = getTypingSince(s.ctx, [roomId], mid.streamId);
    expect(stopped).toEqual({
      streamId: mid.streamId + 1,
      rooms: { [roomId]: { user_ids: [bob.userId] } },
    });
    // Stopping when not typing is no change either.
    await typing(alice, { typing: false });
    expect(getTypingSince(s.ctx, [roomId], stopped.streamId).rooms).toEqual({});
    await typing(bob, { typing: false });
    expect(currentTypingUsers(s.ctx, roomId)).toEqual([]);
  });

  it('a notice expires after its timeout, which is announced', async () => {
    await typing(bob, { typing: true, timeout: 80 });
    const since = getTypingSince(s.ctx, [roomId], 0);
    expect(since.rooms[roomId]).toEqual({ user_ids: [bob.userId] });
    const woken = s.ctx.notifier.wait([roomId], 5_000);
    expect(await woken).toBe(true);
    expect(currentTypingUsers(s.ctx, roomId)).toEqual([]);
    const after = getTypingSince(s.ctx, [roomId], since.streamId);
    expect(after).toEqual({ streamId: since.streamId + 1, rooms: { [roomId]: { user_ids: [] } } });
    // An initial sync (0) leaves out rooms where nobody types.
    expect(getTypingSince(s.ctx, [roomId], 0).rooms).toEqual({});
  });

  it('a position from before a restart counts as 0', async () => {
    await typing(alice, { typing: true });
    const d = getTypingSince(s.ctx, [roomId], 1_000_000);
    expect(d.rooms).toEqual({ [roomId]: { user_ids: [alice.userId] } });
    await typing(alice, { typing: false });
  });

  it('the timeout defaults to 30 s and is capped at 120 s', async () => {
    let now = Date.now();
    const t = await createTestServer({}, { clock: { now: () => now } });
    try {
      const dave = await t.register('dave');
      const room = (await t.req('POST', `${V3}/createRoom`, { token: dave.token, body: {} })).json()
        .room_id as string;
      const put = (body: unknown) =>
        t.req('PUT', `${V3}/rooms/${e(room)}/typing/${e(dave.userId)}`, {
          token: dave.token,
          body,
        });
      expect((await put({ typing: true })).statusCode).toBe(200);
      now += 29_000;
      expect(currentTypingUsers(t.ctx, room)).toEqual([dave.userId]);
      now += 2_000;
      expect(currentTypingUsers(t.ctx, room)).toEqual([]);
      expect((await put({ typing: true, timeout: 600_000 })).statusCode).toBe(200);
      now += 119_000;
      expect(currentTypingUsers(t.ctx, room)).toEqual([dave.userId]);
      now += 2_000;
      expect(currentTypingUsers(t.ctx, room)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('several servers in one process keep their typing apart', async () => {
    const other = await createTestServer();
    try {
      expect(currentTypingUsers(other.ctx, roomId)).toEqual([]);
      expect(getTypingSince(other.ctx, [roomId], 0).streamId).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('errors: someone else 403, non-member 403, unknown room 404, bad body 400', async () => {
    expectError(await typing(bob, { typing: true }, { userId: alice.userId }), 403, 'M_FORBIDDEN');
    expectError(await typing(carol, { typing: true }), 403, 'M_FORBIDDEN');
    expectError(
      await typing(alice, { typing: true }, { room: '!nope:test.local' }),
      404,
      'M_NOT_FOUND',
    );
    expectError(await typing(alice, {}), 400, 'M_MISSING_PARAM');
    expectError(await typing(alice, { typing: 'yes' }), 400, 'M_BAD_JSON');
    expectError(await typing(alice, { typing: true, timeout: -5 }), 400, 'M_BAD_JSON');
    expectError(await typing(alice, { typing: true, timeout: 1.5 }), 400, 'M_BAD_JSON');
    expect(currentTypingUsers(s.ctx, roomId)).toEqual([]);
  });
});
