import { fdatasync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * A /sync answer never shows an event before the commit that holds it is on disk. The read
 * connection sees a commit as soon as it is made, before the writer's fsync of the WAL, and
 * long-polls on a room are woken at a local event's commit (events/persist.ts), so they
 * build their answers during that fsync; `sync` then holds each answer until every commit
 * made so far is durable (Writer.whenAllDurable). Here the server's fsyncs can be held and
 * failed: an answer that left while an fsync was held would show a client an event that a
 * power cut at that moment would lose.
 */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };

let s: TestServer;
let alice: User;
let bob: User;
let roomId: string;
/** While true, fsyncs wait in `held` for the test to finish them (or fail them). */
let holding = false;
let held: ((err: Error | null) => void)[] = [];

beforeEach(async () => {
  holding = false;
  held = [];
  s = await createTestServer(
    {},
    {
      walSync: (fd, cb) => {
        if (holding) held.push(cb);
        else fdatasync(fd, cb);
      },
    },
  );
  alice = await s.register('alice');
  bob = await s.register('bob');
  const r = await s.req('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: { preset: 'public_chat' },
  });
  roomId = r.json().room_id as string;
  expect(
    (
      await s.req('POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
        token: bob.token,
        body: {},
      })
    ).statusCode,
  ).toBe(200);
});

afterEach(async () => {
  holding = false;
  for (const cb of held.splice(0)) cb(null);
  await s.close();
});

const sendPath = (txn: string) =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`;

/** Bob's token as of now. */
async function bobSince(): Promise<string> {
  return (await s.req('GET', `${V3}/sync?timeout=0`, { token: bob.token })).json().next_batch;
}

/** Settles `p`, or says it has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ done: boolean; value?: T }> {
  return Promise.race([
    p.then((value) => ({ done: true, value })),
    sleep(ms).then(() => ({ done: false })),
  ]);
}

it('holds a woken long-poll and a fresh /sync until the message is on disk, then shows it', async () => {
  const since = await bobSince();
  const poll = s.req('GET', `${V3}/sync?timeout=10000&since=${encodeURIComponent(since)}`, {
    token: bob.token,
  });
  await sleep(50); // parked
  holding = true;
  const send = s.req('PUT', sendPath('d1'), {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'durable first' },
  });
  await expect.poll(() => held.length).toBe(1);
  // Committed and visible to the read connection, not yet on disk.
  const fresh = s.req('GET', `${V3}/sync?timeout=0&since=${encodeURIComponent(since)}`, {
    token: bob.token,
  });
  expect((await within(send, 200)).done).toBe(false);
  expect((await within(poll, 50)).done).toBe(false);
  expect((await within(fresh, 50)).done).toBe(false);

  holding = false;
  for (const cb of held.splice(0)) cb(null);
  const sent = await send;
  expect(sent.statusCode).toBe(200);
  const eventId = sent.json().event_id as string;
  for (const res of [await poll, await fresh]) {
    expect(res.statusCode).toBe(200);
    const timeline = res.json().rooms.join[roomId].timeline.events as { event_id: string }[];
    expect(timeline.map((e) => e.event_id)).toContain(eventId);
  }
});

it('answers nothing of a commit whose fsync failed: the held answers become errors', async () => {
  const since = await bobSince();
  const poll = s.req('GET', `${V3}/sync?timeout=10000&since=${encodeURIComponent(since)}`, {
    token: bob.token,
  });
  await sleep(50);
  holding = true;
  const send = s.req('PUT', sendPath('f1'), {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'never durable' },
  });
  await expect.poll(() => held.length).toBe(1);
  expect((await within(poll, 100)).done).toBe(false);
  for (const cb of held.splice(0)) cb(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
  const [sent, polled] = await Promise.all([send, poll]);
  expect(sent.statusCode).toBe(500);
  expect(polled.statusCode).toBe(500);
  expect(polled.json().errcode).toBe('M_UNKNOWN');
  expect(polled.body).not.toContain('never durable');
});
