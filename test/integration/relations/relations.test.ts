import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { useServer } from '../../helpers/server.js';
import {
  createRoom,
  enc,
  join,
  redact,
  related,
  room,
  send,
  text,
  V1,
  type User,
} from './fixtures.js';

/** GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] (relations.yaml). */

const server = useServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
let alice: User;
let bob: User;
let carol: User;
let roomId: string;
let root: string;
/** The direct children of `root`, oldest first. */
const c: Record<'thread1' | 'reaction' | 'reference' | 'thread2' | 'custom', string> = {
  thread1: '',
  reaction: '',
  reference: '',
  thread2: '',
  custom: '',
};
/** A child of c.thread1: related to root only indirectly. */
let nested: string;

const relations = (path: string, query = '', user = alice, r = roomId) =>
  server().req('GET', `${room(r, V1)}/relations/${path}${query ? `?${query}` : ''}`, {
    token: user.token,
  });
const ids = (body: { chunk: { event_id: string }[] }) => body.chunk.map((e) => e.event_id);

beforeAll(async () => {
  const s = server();
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  roomId = await createRoom(s, alice, [bob]);
  root = await send(s, roomId, alice, text('root'));
  c.thread1 = await send(s, roomId, bob, related('m.thread', root));
  c.reaction = await send(
    s,
    roomId,
    alice,
    { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } },
    'm.reaction',
  );
  c.reference = await send(s, roomId, bob, related('m.reference', root));
  nested = await send(s, roomId, alice, related('m.reference', c.thread1));
  c.thread2 = await send(s, roomId, alice, related('m.thread', root));
  c.custom = await send(s, roomId, bob, related('org.example.rel', root), 'org.example.event');
});

describe('listing children', () => {
  it('lists the direct children, newest first, as client events', async () => {
    const r = await relations(enc(root), 'limit=50');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(ids(body)).toEqual([c.custom, c.thread2, c.reference, c.reaction, c.thread1]);
    expect(body.chunk[0]).toMatchObject({
      room_id: roomId,
      sender: bob.userId,
      type: 'org.example.event',
      content: { 'm.relates_to': { rel_type: 'org.example.rel', event_id: root } },
    });
    expect(body.next_batch).toBeUndefined();
    expect(body.prev_batch).toBeUndefined();
    expect(body).not.toHaveProperty('recursion_depth');
  });

  it('filters by rel_type, and by rel_type and event type', async () => {
    expect(ids((await relations(`${enc(root)}/m.thread`)).json())).toEqual([c.thread2, c.thread1]);
    expect(ids((await relations(`${enc(root)}/m.annotation/m.reaction`)).json())).toEqual([
      c.reaction,
    ]);
    expect(ids((await relations(`${enc(root)}/m.thread/m.reaction`)).json())).toEqual([]);
    expect(ids((await relations(`${enc(root)}/m.nothing`)).json())).toEqual([]);
  });

  it('limit=0 answers an empty page with a token to go on from', async () => {
    const p0 = (await relations(enc(root), 'limit=0')).json();
    expect(p0.chunk).toEqual([]);
    const next = (await relations(enc(root), `limit=1&from=${p0.next_batch}`)).json();
    expect(ids(next)).toEqual([c.custom]);
  });

  it('an event without children has an empty chunk', async () => {
    const r = await relations(enc(c.custom));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ chunk: [] });
  });

  it('defaults to 5 children a page', async () => {
    const s = server();
    const parent = await send(s, roomId, alice, text('popular'));
    const oldest = await send(s, roomId, bob, related('m.reference', parent));
    for (let i = 0; i < 5; i++) await send(s, roomId, bob, related('m.reference', parent));
    const body = (await relations(enc(parent))).json();
    expect(body.chunk).toHaveLength(5);
    expect(ids(body)).not.toContain(oldest);
    expect(body.next_batch).toEqual(expect.any(String));
  });
});

describe('pagination', () => {
  it('pages backwards with next_batch, echoing from as prev_batch', async () => {
    const p1 = (await relations(enc(root), 'limit=2')).json();
    expect(ids(p1)).toEqual([c.custom, c.thread2]);
    expect(p1.prev_batch).toBeUndefined();
    const p2 = (await relations(enc(root), `limit=2&from=${p1.next_batch}`)).json();
    expect(ids(p2)).toEqual([c.reference, c.reaction]);
    expect(p2.prev_batch).toBe(p1.next_batch);
    const p3 = (await relations(enc(root), `limit=2&from=${p2.next_batch}`)).json();
    expect(ids(p3)).toEqual([c.thread1]);
    expect(p3.next_batch).toBeUndefined();
  });

  it('pages forwards with dir=f, oldest first', async () => {
    const p1 = (await relations(enc(root), 'dir=f&limit=2')).json();
    expect(ids(p1)).toEqual([c.thread1, c.reaction]);
    const p2 = (await relations(enc(root), `dir=f&limit=2&from=${p1.next_batch}`)).json();
    expect(ids(p2)).toEqual([c.reference, c.thread2]);
    const p3 = (await relations(enc(root), `dir=f&limit=2&from=${p2.next_batch}`)).json();
    expect(ids(p3)).toEqual([c.custom]);
    expect(p3.next_batch).toBeUndefined();
  });

  it('stops at `to`: a later page as from and an earlier one as to is empty', async () => {
    const p1 = (await relations(enc(root), 'limit=1')).json();
    const p2 = (await relations(enc(root), `limit=2&from=${p1.next_batch}`)).json();
    const between = await relations(
      enc(root),
      `limit=10&from=${p1.next_batch}&to=${p2.next_batch}`,
    );
    expect(ids(between.json())).toEqual([c.thread2, c.reference]);
    const reversed = await relations(
      enc(root),
      `limit=10&from=${p2.next_batch}&to=${p1.next_batch}`,
    );
    expect(ids(reversed.json())).toEqual([]);
  });

  it('accepts a /messages token as from', async () => {
    const messages = await server().req('GET', `${room(roomId)}/messages?dir=b&limit=1`, {
      token: alice.token,
    });
    const r = await relations(`${enc(root)}/m.thread`, `from=${messages.json().start}`);
    expect(ids(r.json())).toEqual([c.thread2, c.thread1]);
  });
});

describe('recurse', () => {
  it('recurse=true adds the children of children and says how deep it went', async () => {
    const body = (await relations(enc(root), 'limit=50&recurse=true')).json();
    expect(ids(body)).toEqual([c.custom, c.thread2, nested, c.reference, c.reaction, c.thread1]);
    expect(body.recursion_depth).toBe(3);
  });

  it('the filters apply to indirect children too', async () => {
    const body = (await relations(`${enc(root)}/m.reference`, 'recurse=true')).json();
    expect(ids(body)).toEqual([nested, c.reference]);
  });

  it('recurse=false lists direct children only, with recursion_depth', async () => {
    const body = (await relations(enc(root), 'limit=50&recurse=false')).json();
    expect(ids(body)).not.toContain(nested);
    expect(body.recursion_depth).toEqual(expect.any(Number));
  });

  it('follows at most 3 levels', async () => {
    const s = server();
    let parent = await send(s, roomId, alice, text('chain'));
    const top = parent;
    const chain: string[] = [];
    for (let i = 0; i < 4; i++) {
      parent = await send(s, roomId, alice, related('m.reference', parent));
      chain.push(parent);
    }
    const body = (await relations(enc(top), 'recurse=true&dir=f')).json();
    expect(ids(body)).toEqual(chain.slice(0, 3));
  });
});

describe('what does not count', () => {
  it('malformed m.relates_to is ignored, and the event is still sent', async () => {
    const s = server();
    const parent = await send(s, roomId, alice, text('parent'));
    for (const rel of [
      'not an object',
      [parent],
      { event_id: parent },
      { rel_type: 5, event_id: parent },
      { rel_type: '', event_id: parent },
      { rel_type: 'm.thread', event_id: 'no-sigil' },
      { rel_type: 'm.thread', event_id: 42 },
      { 'm.in_reply_to': { event_id: parent } },
    ]) {
      await send(s, roomId, bob, { ...text('x'), 'm.relates_to': rel });
    }
    expect((await relations(enc(parent))).json().chunk).toEqual([]);
  });

  it('a redacted child no longer relates', async () => {
    const s = server();
    const parent = await send(s, roomId, alice, text('parent'));
    const kept = await send(s, roomId, bob, related('m.reference', parent));
    const gone = await send(s, roomId, bob, related('m.reference', parent));
    expect(ids((await relations(enc(parent))).json())).toEqual([gone, kept]);
    await redact(s, roomId, bob, gone);
    expect(ids((await relations(enc(parent))).json())).toEqual([kept]);
  });

  it('a child in another room does not relate', async () => {
    const s = server();
    const other = await createRoom(s, alice, []);
    await send(s, other, alice, related('m.reference', root));
    expect(ids((await relations(`${enc(root)}/m.reference`)).json())).toEqual([c.reference]);
  });
});

describe('errors', () => {
  it('400 M_INVALID_PARAM for bad parameters, naming nothing else', async () => {
    for (const q of ['from=nope', 'to=x1', 'dir=up', 'limit=-1', 'limit=abc', 'recurse=yes']) {
      expectError(await relations(enc(root), q), 400, 'M_INVALID_PARAM');
    }
  });

  it('404 M_NOT_FOUND for an unknown event, or one of another room', async () => {
    expectError(await relations(enc('$unknown')), 404, 'M_NOT_FOUND');
    const other = await createRoom(server(), alice, []);
    expectError(await relations(enc(root), '', alice, other), 404, 'M_NOT_FOUND');
  });

  it('404 M_NOT_FOUND when the user may not see the parent', async () => {
    const s = server();
    const priv = await createRoom(s, alice, [], {
      preset: 'private_chat',
      initial_state: [
        {
          type: 'm.room.history_visibility',
          state_key: '',
          content: { history_visibility: 'joined' },
        },
      ],
    });
    const secret = await send(s, priv, alice, text('secret'));
    await send(s, priv, alice, related('m.reference', secret));
    // Not in the room at all.
    expectError(await relations(enc(secret), '', carol, priv), 404, 'M_NOT_FOUND');
    // Joined later, with history visible only from joining on.
    const invite = await s.req('POST', `${room(priv)}/invite`, {
      token: alice.token,
      body: { user_id: carol.userId },
    });
    expect(invite.statusCode).toBe(200);
    await join(s, priv, carol);
    expectError(await relations(enc(secret), '', carol, priv), 404, 'M_NOT_FOUND');
    expect((await relations(enc(secret), '', alice, priv)).statusCode).toBe(200);
  });

  it('401 without an access token', async () => {
    const r = await server().req('GET', `${room(roomId, V1)}/relations/${enc(root)}`);
    expectError(r, 401, 'M_MISSING_TOKEN');
  });
});
