import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * A parked /sync long-poll no longer wakes every second by itself (sync.ts, waitForChange):
 * presence time-outs are persisted by one sweep per server while any long-poll is parked
 * (presence.ts, holdPresenceSweep), and the time-out wakes those who watch the user. Were
 * that sweep missing, nothing would persist Alice's time-out while Bob waits, and his poll
 * would run to its timeout with an empty answer.
 */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
type SyncBody = {
  next_batch: string;
  presence: { events: { sender: string; content: { presence: string } }[] };
};
let now = 1_700_000_000_000;
let s: TestServer;

beforeAll(async () => {
  s = await createTestServer(
    { rc_room_creation: { per_second: 1000, burst_count: 1000 } },
    { clock: { now: () => now } },
  );
});
afterAll(() => s.close());

async function sync(u: User, q: Record<string, string> = {}): Promise<SyncBody> {
  const r = await s.req('GET', `${V3}/sync?${new URLSearchParams(q)}`, { token: u.token });
  expect(r.statusCode).toBe(200);
  return r.json() as SyncBody;
}

describe('a parked long-poll and presence time-outs', () => {
  it('wakes when a peer times out to offline, within about a second', async () => {
    const alice = (await s.register('sweep-alice')) as User;
    const bob = (await s.register('sweep-bob')) as User;
    const created = await s.req('POST', `${V3}/createRoom`, {
      token: alice.token,
      body: { preset: 'public_chat' },
    });
    const roomId = created.json().room_id as string;
    const joined = await s.req('POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
      token: bob.token,
      body: {},
    });
    expect(joined.statusCode).toBe(200);
    await sync(alice);
    const start = await sync(bob);
    const polling = sync(bob, { since: start.next_batch, timeout: '8000' });
    await new Promise((r) => setTimeout(r, 100));
    // Alice's last sync ended more than 30 s ago: offline. Bob is syncing: still online.
    const t0 = performance.now();
    now += 35_000;
    const got = await polling;
    expect(performance.now() - t0).toBeLessThan(4_000);
    const aliceEvents = got.presence.events.filter((ev) => ev.sender === alice.userId);
    expect(aliceEvents.map((ev) => ev.content.presence)).toEqual(['offline']);
  });
});
