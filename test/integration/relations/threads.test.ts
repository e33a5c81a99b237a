import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { useServer } from '../../helpers/server.js';
import {
  createRoom,
  redact,
  related,
  room,
  send,
  sendUnchecked,
  text,
  V1,
  type User,
} from './fixtures.js';

/** GET /rooms/{roomId}/threads (threads_list.yaml). */

const server = useServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
let alice: User;
let bob: User;
let carol: User;
let dave: User;
let roomId: string;
/** Thread roots: a by alice (bob replies), b by bob (bob replies), c by carol (alice replies). */
let a: string;
let b: string;
let c: string;

const threads = (query = '', user = alice, r = roomId) =>
  server().req('GET', `${room(r, V1)}/threads${query ? `?${query}` : ''}`, { token: user.token });
const ids = (body: { chunk: { event_id: string }[] }) => body.chunk.map((e) => e.event_id);

beforeAll(async () => {
  const s = server();
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  dave = await s.register('dave');
  roomId = await createRoom(s, alice, [bob, carol]);
  a = await send(s, roomId, alice, text('a'));
  b = await send(s, roomId, bob, text('b'));
  c = await send(s, roomId, carol, text('c'));
  await send(s, roomId, bob, related('m.thread', a));
  await send(s, roomId, bob, related('m.thread', b));
  await send(s, roomId, alice, related('m.thread', c));
  // Not threads: a plain message, a reference, and a "thread" off a thread event.
  await send(s, roomId, alice, text('no thread'));
  await send(s, roomId, alice, related('m.reference', b));
});

describe('listing threads', () => {
  it('lists thread roots, most recently active first, with their m.thread summary', async () => {
    const r = await threads();
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(ids(body)).toEqual([c, b, a]);
    expect(body.chunk[0]).toMatchObject({
      event_id: c,
      sender: carol.userId,
      content: text('c'),
      unsigned: { 'm.relations': { 'm.thread': { count: 1, current_user_participated: true } } },
    });
    expect(body.next_batch).toBeUndefined();
  });

  it('a new event moves its thread to the front', async () => {
    const s = server();
    await send(s, roomId, carol, related('m.thread', a));
    expect(ids((await threads()).json())).toEqual([a, c, b]);
  });

  it('include=participated keeps the threads the user started or replied in', async () => {
    expect(ids((await threads('include=participated', bob)).json())).toEqual([a, b]);
    expect(ids((await threads('include=participated', carol)).json())).toEqual([a, c]);
    expect(ids((await threads('include=all', carol)).json())).toEqual([a, c, b]);
  });

  it('pages with next_batch', async () => {
    const p1 = (await threads('limit=2')).json();
    expect(ids(p1)).toEqual([a, c]);
    const p2 = (await threads(`limit=2&from=${p1.next_batch}`)).json();
    expect(ids(p2)).toEqual([b]);
    expect(p2.next_batch).toBeUndefined();
  });

  it('a thread off an event that is itself a relation is no thread', async () => {
    const s = server();
    const threadEvent = await send(s, roomId, alice, related('m.thread', b));
    // /send refuses this (spec Threading); another server's event may still carry it.
    await sendUnchecked(s, roomId, bob, related('m.thread', threadEvent));
    const listed = ids((await threads()).json());
    expect(listed[0]).toBe(b);
    expect(listed).not.toContain(threadEvent);
  });

  it('a thread whose events are all redacted is gone', async () => {
    const s = server();
    const other = await createRoom(s, alice, [bob]);
    const root = await send(s, other, alice, text('root'));
    const reply = await send(s, other, bob, related('m.thread', root));
    expect(ids((await threads('', alice, other)).json())).toEqual([root]);
    await redact(s, other, bob, reply);
    expect((await threads('', alice, other)).json()).toEqual({ chunk: [] });
  });
});

describe('errors', () => {
  it('400 M_INVALID_PARAM for a bad include, limit or token', async () => {
    for (const q of ['include=mine', 'limit=0', 'limit=-2', 'limit=x', 'from=garbage']) {
      expectError(await threads(q), 400, 'M_INVALID_PARAM');
    }
  });

  it('403 M_FORBIDDEN for a room the user may not read, and an unknown one', async () => {
    const priv = await createRoom(server(), alice, [], { preset: 'private_chat' });
    expectError(await threads('', dave, priv), 403, 'M_FORBIDDEN');
    expectError(await threads('', alice, '!nowhere:test.local'), 403, 'M_FORBIDDEN');
  });
});
