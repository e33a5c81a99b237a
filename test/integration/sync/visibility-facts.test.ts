import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * What a state group says for a user's visibility test is kept with the loaded state, by
 * user (rooms/visibility.ts, factsByState), so the long-polls woken by one event do not
 * each look up the same state events. The record must stay per user and per state: one
 * user's membership must never answer for another's, and a new state (a history
 * visibility change) must be read afresh.
 */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
let s: TestServer;
let alice: User;
let bob: User;
let roomId: string;
let txn = 0;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('facts-alice');
  bob = await s.register('facts-bob');
  const r = await s.req('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: {
      preset: 'public_chat',
      initial_state: [
        {
          type: 'm.room.history_visibility',
          state_key: '',
          content: { history_visibility: 'joined' },
        },
      ],
    },
  });
  expect(r.statusCode).toBe(200);
  roomId = r.json().room_id as string;
});
afterAll(() => s.close());

async function send(body: string): Promise<void> {
  const r = await s.req(
    'PUT',
    `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/f${++txn}`,
    { token: alice.token, body: { msgtype: 'm.text', body } },
  );
  expect(r.statusCode).toBe(200);
}

async function bodiesSeenBy(u: User): Promise<string[]> {
  const r = await s.req(
    'GET',
    `${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
    { token: u.token },
  );
  expect(r.statusCode).toBe(200);
  const chunk = r.json().chunk as { type: string; content: { body?: string } }[];
  return chunk
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body!)
    .reverse();
}

describe('visibility facts kept with a state', () => {
  it('are per user: a member who joined later does not see what came before', async () => {
    await send('before bob');
    // Alice reads first: her facts for the message's state are kept.
    expect(await bodiesSeenBy(alice)).toEqual(['before bob']);
    const j = await s.req('POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
      token: bob.token,
      body: {},
    });
    expect(j.statusCode).toBe(200);
    await send('after bob');
    expect(await bodiesSeenBy(bob)).toEqual(['after bob']);
    expect(await bodiesSeenBy(alice)).toEqual(['before bob', 'after bob']);
  });

  it('are per state: a history visibility change is read from the new state', async () => {
    const hv = await s.req(
      'PUT',
      `${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.history_visibility/`,
      { token: alice.token, body: { history_visibility: 'world_readable' } },
    );
    expect(hv.statusCode).toBe(200);
    await send('world readable');
    const carol = (await s.register('facts-carol')) as User;
    const j = await s.req('POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
      token: carol.token,
      body: {},
    });
    expect(j.statusCode).toBe(200);
    // Before the change she sees nothing (joined-only); from it, everything.
    expect(await bodiesSeenBy(carol)).toEqual(['world readable']);
  });
});
