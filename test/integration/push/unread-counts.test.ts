import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Unread notification counts in /sync (client-server API, "Receiving notifications",
 * "Marking notifications as read", "Threaded read receipts", sync's
 * `unread_notifications` and `unread_thread_notifications`): which events count, for
 * whom, and what makes them read.
 */

const V3 = '/_matrix/client/v3';
const e = encodeURIComponent;
type User = { userId: string; token: string };
let s: TestServer;
let alice: User;
let bob: User;
let carol: User;
let txn = 0;

async function newRoom(creator: User, members: User[]): Promise<string> {
  const roomId = (
    await s.req('POST', `${V3}/createRoom`, {
      token: creator.token,
      body: { preset: 'public_chat' },
    })
  ).json().room_id as string;
  for (const m of members) {
    expect((await s.req('POST', `${V3}/join/${e(roomId)}`, { token: m.token })).statusCode).toBe(
      200,
    );
  }
  return roomId;
}

async function send(
  from: User,
  roomId: string,
  content: Record<string, unknown>,
  type = 'm.room.message',
) {
  const r = await s.req('PUT', `${V3}/rooms/${e(roomId)}/send/${type}/t${txn++}`, {
    token: from.token,
    body: content,
  });
  expect(r.statusCode).toBe(200);
  return r.json().event_id as string;
}

const text = (body: string, extra: Record<string, unknown> = {}) => ({
  msgtype: 'm.text',
  body,
  ...extra,
});
const inThread = (root: string, body: string) =>
  text(body, { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });

async function receipt(
  user: User,
  roomId: string,
  eventId: string,
  type = 'm.read',
  threadId?: string,
) {
  const r = await s.req('POST', `${V3}/rooms/${e(roomId)}/receipt/${type}/${e(eventId)}`, {
    token: user.token,
    body: threadId === undefined ? {} : { thread_id: threadId },
  });
  expect(r.statusCode).toBe(200);
}

const THREADS_FILTER = e(
  JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }),
);

/** The room's section of an initial /sync for `user`. */
async function roomSync(user: User, roomId: string, opts: { threads?: boolean } = {}) {
  const filter = opts.threads ? `?filter=${THREADS_FILTER}` : '';
  const r = await s.req('GET', `${V3}/sync${filter}`, { token: user.token });
  expect(r.statusCode).toBe(200);
  return r.json().rooms.join[roomId];
}

async function counts(user: User, roomId: string) {
  return (await roomSync(user, roomId)).unread_notifications as {
    notification_count: number;
    highlight_count: number;
  };
}
const n = (notification_count: number, highlight_count = 0) => ({
  notification_count,
  highlight_count,
});

const putRule = (user: User, path: string, body: unknown) =>
  s.req('PUT', `${V3}/pushrules/global/${path}`, { token: user.token, body });

beforeAll(async () => {
  s = await createTestServer({
    rc_room_creation: { per_second: 1000, burst_count: 1000 },
    rc_message: { per_second: 1000, burst_count: 1000 },
    rc_joins: { local: { per_second: 1000, burst_count: 1000 } },
  });
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
});
afterAll(() => s.close());

describe('what counts', () => {
  it('messages in a room notify the other members, never their sender', async () => {
    const room = await newRoom(alice, [bob, carol]);
    await send(alice, room, text('one'));
    await send(alice, room, text('two'));
    expect(await counts(bob, room)).toEqual(n(2));
    expect(await counts(carol, room)).toEqual(n(2));
    expect(await counts(alice, room)).toEqual(n(0));
  });

  it('a mention of the user highlights, for them only', async () => {
    const room = await newRoom(alice, [bob, carol]);
    await send(alice, room, text('hi bob', { 'm.mentions': { user_ids: [bob.userId] } }));
    expect(await counts(bob, room)).toEqual(n(1, 1));
    expect(await counts(carol, room)).toEqual(n(1, 0));
  });

  it('a room mention highlights when the sender may notify the room', async () => {
    const room = await newRoom(alice, [bob, carol]);
    // alice created the room (power 100); bob has the default 0, below "room": 50.
    await send(alice, room, text('all', { 'm.mentions': { room: true } }));
    await send(bob, room, text('all', { 'm.mentions': { room: true } }));
    expect(await counts(carol, room)).toEqual(n(2, 1));
  });

  it('notices, edits and reactions do not notify', async () => {
    const room = await newRoom(alice, [bob]);
    const first = await send(alice, room, text('x'));
    await send(alice, room, { msgtype: 'm.notice', body: 'bot says' });
    await send(
      alice,
      room,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: first, key: '👍' } },
      'm.reaction',
    );
    await send(
      alice,
      room,
      text('* y', {
        'm.new_content': text('y'),
        'm.relates_to': { rel_type: 'm.replace', event_id: first },
      }),
    );
    expect(await counts(bob, room)).toEqual(n(1));
  });

  it('one-to-one rooms notify through .m.rule.room_one_to_one', async () => {
    const dan = await s.register('dan');
    const dm = await newRoom(alice, [dan]);
    const group = await newRoom(alice, [dan, carol]);
    expect(
      (await putRule(dan, 'underride/.m.rule.message/enabled', { enabled: false })).statusCode,
    ).toBe(200);
    await send(alice, dm, text('psst'));
    await send(alice, group, text('hello all'));
    expect(await counts(dan, dm)).toEqual(n(1));
    expect(await counts(dan, group)).toEqual(n(0));
    expect(await counts(carol, group)).toEqual(n(1));
  });

  it('a room rule with no actions (or dont_notify) mutes the room until deleted', async () => {
    const erin = await s.register('erin');
    const room = await newRoom(alice, [erin]);
    expect((await putRule(erin, `room/${e(room)}`, { actions: [] })).statusCode).toBe(200);
    await send(alice, room, text('muted'));
    expect((await putRule(erin, `room/${e(room)}`, { actions: ['dont_notify'] })).statusCode).toBe(
      200,
    );
    await send(alice, room, text('still muted'));
    expect(await counts(erin, room)).toEqual(n(0));
    await s.req('DELETE', `${V3}/pushrules/global/room/${e(room)}`, { token: erin.token });
    await send(alice, room, text('heard'));
    expect(await counts(erin, room)).toEqual(n(1));
  });

  it("a user's content rule applies from the next event", async () => {
    const fred = await s.register('fred');
    const room = await newRoom(alice, [fred]);
    await send(alice, room, text('cake before'));
    await putRule(fred, 'content/cake', {
      pattern: 'cake',
      actions: ['notify', { set_tweak: 'highlight' }],
    });
    await send(alice, room, text('more cake now'));
    await send(alice, room, text('pancakes are not a word match'));
    expect(await counts(fred, room)).toEqual(n(3, 1));
  });
});

describe('room facts follow the room', () => {
  it('a display name rule sees the name the user has in the room now', async () => {
    const gus = await s.register('gus');
    const room = await newRoom(alice, [gus]);
    await putRule(gus, 'override/my-name', {
      conditions: [{ kind: 'contains_display_name' }],
      actions: ['notify', { set_tweak: 'highlight' }],
    });
    await send(alice, room, text('hello gus'));
    const member = `${V3}/rooms/${e(room)}/state/m.room.member/${e(gus.userId)}`;
    const renamed = await s.req('PUT', member, {
      token: gus.token,
      body: { membership: 'join', displayname: 'Gustavo' },
    });
    expect(renamed.statusCode).toBe(200);
    await send(alice, room, text('hello gus'));
    await send(alice, room, text('hello Gustavo'));
    // "gus" highlights while it is the name, then only "Gustavo" does; the rename is gus's
    // own event, so it marks the first message read.
    expect(await counts(gus, room)).toEqual(n(2, 1));
  });

  it('members who leave stop counting, and room_member_count follows', async () => {
    const hal = await s.register('hal');
    const room = await newRoom(alice, [hal, carol]);
    await putRule(hal, 'underride/.m.rule.message/enabled', { enabled: false });
    await send(alice, room, text('three of us'));
    expect(await counts(hal, room)).toEqual(n(0));
    expect(
      (await s.req('POST', `${V3}/rooms/${e(room)}/leave`, { token: carol.token })).statusCode,
    ).toBe(200);
    await send(alice, room, text('two of us'));
    expect(await counts(hal, room)).toEqual(n(1));
  });
});

describe('what makes events read', () => {
  it('m.read and m.read.private receipts, whichever is ahead', async () => {
    const room = await newRoom(alice, [bob]);
    const m1 = await send(alice, room, text('1'));
    const m2 = await send(alice, room, text('2'));
    const m3 = await send(alice, room, text('3'));
    await receipt(bob, room, m1);
    expect(await counts(bob, room)).toEqual(n(2));
    await receipt(bob, room, m2, 'm.read.private');
    expect(await counts(bob, room)).toEqual(n(1));
    await receipt(bob, room, m3);
    expect(await counts(bob, room)).toEqual(n(0));
  });

  it("the user's own message marks the room read up to it", async () => {
    const room = await newRoom(alice, [bob]);
    await send(alice, room, text('1'));
    await send(alice, room, text('2', { 'm.mentions': { user_ids: [bob.userId] } }));
    expect(await counts(bob, room)).toEqual(n(2, 1));
    await send(bob, room, text('reply'));
    expect(await counts(bob, room)).toEqual(n(0));
    await send(alice, room, text('3'));
    expect(await counts(bob, room)).toEqual(n(1));
  });

  it('an incremental sync carries the new counts when a receipt moves them', async () => {
    const room = await newRoom(alice, [bob]);
    await send(alice, room, text('1'));
    const last = await send(alice, room, text('2'));
    const first = (await s.req('GET', `${V3}/sync`, { token: bob.token })).json();
    expect(first.rooms.join[room].unread_notifications).toEqual(n(2));
    await receipt(bob, room, last, 'm.read.private');
    const next = (
      await s.req('GET', `${V3}/sync?since=${first.next_batch}&timeout=0`, { token: bob.token })
    ).json();
    expect(next.rooms.join[room].unread_notifications).toEqual(n(0));
    // A long-poll is woken by the receipt.
    const waiting = s.req('GET', `${V3}/sync?since=${next.next_batch}&timeout=5000`, {
      token: bob.token,
    });
    const started = Date.now();
    await send(alice, room, text('3'));
    const woken = (await waiting).json();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(woken.rooms.join[room].unread_notifications).toEqual(n(1));
  });
});

describe('threads', () => {
  it('counts threads apart with unread_thread_notifications, together without', async () => {
    const room = await newRoom(alice, [bob]);
    const root = await send(alice, room, text('root'));
    const t1 = await send(alice, room, inThread(root, 'in thread 1'));
    const t2 = await send(alice, room, inThread(root, 'in thread 2'));
    // A reference to a thread event is in the thread too (spec: following relations).
    await send(
      alice,
      room,
      text('ref', { 'm.relates_to': { rel_type: 'm.reference', event_id: t2 } }),
    );
    expect(await counts(bob, room)).toEqual(n(4));
    const split = await roomSync(bob, room, { threads: true });
    expect(split.unread_notifications).toEqual(n(1));
    expect(split.unread_thread_notifications).toEqual({ [root]: n(3) });

    // A threaded receipt reads its thread only.
    await receipt(bob, room, t1, 'm.read', root);
    expect((await roomSync(bob, room, { threads: true })).unread_thread_notifications).toEqual({
      [root]: n(2),
    });
    await receipt(bob, room, root, 'm.read', 'main');
    const afterMain = await roomSync(bob, room, { threads: true });
    expect(afterMain.unread_notifications).toEqual(n(0));
    expect(afterMain.unread_thread_notifications).toEqual({ [root]: n(2) });
    expect(await counts(bob, room)).toEqual(n(2));

    // An unthreaded receipt reads every thread up to it.
    await receipt(bob, room, t2);
    const afterAll_ = await roomSync(bob, room, { threads: true });
    expect(afterAll_.unread_notifications).toEqual(n(0));
    expect(afterAll_.unread_thread_notifications).toEqual({ [root]: n(1) });
    expect(await counts(bob, room)).toEqual(n(1));
  });

  it("the user's reply in a thread reads that thread, not the main timeline", async () => {
    const room = await newRoom(alice, [bob]);
    const root = await send(alice, room, text('root'));
    await send(alice, room, inThread(root, 'question'));
    await send(bob, room, inThread(root, 'answer'));
    const split = await roomSync(bob, room, { threads: true });
    expect(split.unread_notifications).toEqual(n(1));
    expect(split.unread_thread_notifications).toBeUndefined();
  });
});

/**
 * The counts a /sync has read are kept in memory (server/push/unread-cache.ts) and moved by
 * each commit: every case reads the counts first, so that the change lands on a kept
 * entry, and fails if the change does not move it.
 */
describe('counts kept between syncs follow every change', () => {
  it('each new message, and each mention, adds to counts already read', async () => {
    const room = await newRoom(alice, [bob]);
    expect(await counts(bob, room)).toEqual(n(0));
    await send(alice, room, text('one'));
    expect(await counts(bob, room)).toEqual(n(1));
    await send(alice, room, text('two', { 'm.mentions': { user_ids: [bob.userId] } }));
    expect(await counts(bob, room)).toEqual(n(2, 1));
    const root = await send(alice, room, text('root'));
    expect((await roomSync(bob, room, { threads: true })).unread_thread_notifications).toBe(
      undefined,
    );
    await send(alice, room, inThread(root, 'in thread'));
    const split = await roomSync(bob, room, { threads: true });
    expect(split.unread_notifications).toEqual(n(3, 1));
    expect(split.unread_thread_notifications).toEqual({ [root]: n(1) });
  });

  it("the user's own message, a receipt and a redaction take counts already read down", async () => {
    const room = await newRoom(alice, [bob, carol]);
    await send(alice, room, text('one'));
    const two = await send(alice, room, text('two'));
    expect(await counts(bob, room)).toEqual(n(2));
    expect(await counts(carol, room)).toEqual(n(2));
    await send(bob, room, text('read it'));
    expect(await counts(bob, room)).toEqual(n(0));
    expect(await counts(carol, room)).toEqual(n(3));
    await receipt(carol, room, two);
    expect(await counts(carol, room)).toEqual(n(1)); // bob's message is after it
    const three = await send(alice, room, text('three'));
    await send(alice, room, text('four'));
    expect(await counts(bob, room)).toEqual(n(2));
    expect(await counts(carol, room)).toEqual(n(3));
    const r = await s.req('PUT', `${V3}/rooms/${e(room)}/redact/${e(three)}/r${txn++}`, {
      token: alice.token,
      body: {},
    });
    expect(r.statusCode).toBe(200);
    expect(await counts(bob, room)).toEqual(n(1));
    expect(await counts(carol, room)).toEqual(n(2));
  });

  it('a threaded receipt takes down the thread count already read, and only it', async () => {
    const room = await newRoom(alice, [bob]);
    const root = await send(alice, room, text('root'));
    const t1 = await send(alice, room, inThread(root, 'one'));
    await send(alice, room, inThread(root, 'two'));
    expect((await roomSync(bob, room, { threads: true })).unread_thread_notifications).toEqual({
      [root]: n(2),
    });
    await receipt(bob, room, t1, 'm.read', root);
    const split = await roomSync(bob, room, { threads: true });
    expect(split.unread_notifications).toEqual(n(1));
    expect(split.unread_thread_notifications).toEqual({ [root]: n(1) });
    // A message after the thread's receipt counts again.
    await send(alice, room, inThread(root, 'three'));
    expect((await roomSync(bob, room, { threads: true })).unread_thread_notifications).toEqual({
      [root]: n(2),
    });
  });
});
