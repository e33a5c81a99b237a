import { beforeAll, describe, expect, it } from 'vitest';
import { useServer } from '../../helpers/server.js';
import {
  createRoom,
  edit,
  enc,
  getEvent,
  redact,
  related,
  room,
  send,
  sendUnchecked,
  text,
  V3,
  type User,
} from './fixtures.js';

/**
 * Bundled aggregations in unsigned.m.relations (client-server API "Aggregations of child
 * events"): m.replace, m.thread and m.reference, wherever events are served.
 */

const server = useServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
let alice: User;
let bob: User;
let carol: User;
let roomId: string;

const relationsOf = async (eventId: string, user = alice) =>
  (await getEvent(server(), roomId, eventId, user)).unsigned['m.relations'];

beforeAll(async () => {
  const s = server();
  alice = await s.register('alice');
  bob = await s.register('bob');
  carol = await s.register('carol');
  roomId = await createRoom(s, alice, [bob, carol]);
});

describe('m.replace', () => {
  it('bundles the most recent valid edit as a full event; the content stays the original', async () => {
    const s = server();
    const original = await send(s, roomId, alice, text('I like cake'));
    const first = await send(s, roomId, alice, edit(original, 'I like pie'));
    const second = await send(s, roomId, alice, edit(original, 'I like chocolate cake'));
    const ev = await getEvent(s, roomId, original, bob);
    expect(ev.content).toEqual(text('I like cake'));
    expect(ev.unsigned['m.relations']['m.replace']).toMatchObject({
      event_id: second,
      sender: alice.userId,
      type: 'm.room.message',
      room_id: roomId,
      origin_server_ts: expect.any(Number),
      content: { 'm.new_content': text('I like chocolate cake') },
      unsigned: { age: expect.any(Number) },
    });
    // Redacting the latest edit reverts to the one before it.
    await redact(s, roomId, alice, second);
    expect((await relationsOf(original))['m.replace'].event_id).toBe(first);
    await redact(s, roomId, alice, first);
    expect(await relationsOf(original)).toBeUndefined();
  });

  it('ignores invalid edits: another sender, another type, no m.new_content, an edit of an edit', async () => {
    const s = server();
    const original = await send(s, roomId, alice, text('mine'));
    await send(s, roomId, bob, edit(original, 'hijacked'));
    await send(s, roomId, alice, { ...edit(original, 'sticker'), url: 'mxc://a/b' }, 'm.sticker');
    await send(s, roomId, alice, {
      ...text('* no new content'),
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    await send(s, roomId, alice, { ...edit(original, 'bad'), 'm.new_content': 'not an object' });
    expect(await relationsOf(original)).toBeUndefined();
    const valid = await send(s, roomId, alice, edit(original, 'fixed'));
    await send(s, roomId, alice, edit(valid, 'edit of an edit'));
    expect((await relationsOf(original))['m.replace'].event_id).toBe(valid);
    expect(await relationsOf(valid)).toBeUndefined();
  });

  it('a redacted original carries no edit', async () => {
    const s = server();
    const original = await send(s, roomId, alice, text('to be removed'));
    await send(s, roomId, alice, edit(original, 'edited'));
    await redact(s, roomId, alice, original);
    const ev = await getEvent(s, roomId, original, bob);
    expect(ev.unsigned.redacted_because).toBeDefined();
    expect(ev.unsigned['m.relations']).toBeUndefined();
  });

  it('state events are never edited nor aggregated', async () => {
    const s = server();
    const r = await s.req('PUT', `${room(roomId)}/state/m.room.topic/`, {
      token: alice.token,
      body: { topic: 'cakes' },
    });
    const topic = r.json().event_id as string;
    await send(s, roomId, alice, related('m.reference', topic));
    await send(s, roomId, alice, { ...edit(topic, 'x'), topic: 'pies' }, 'm.room.topic');
    expect(await relationsOf(topic)).toBeUndefined();
  });
});

describe('m.thread and m.reference', () => {
  let root: string;
  let reply1: string;
  let reply2: string;
  let ref: string;
  beforeAll(async () => {
    const s = server();
    root = await send(s, roomId, alice, text('thread root'));
    reply1 = await send(s, roomId, bob, related('m.thread', root));
    ref = await send(s, roomId, carol, related('m.reference', root));
    reply2 = await send(s, roomId, bob, related('m.thread', root));
    await send(s, roomId, bob, edit(reply2, 'edited reply'));
  });

  it('summarises the thread: count, latest event (with its own edit), participation', async () => {
    const thread = (await relationsOf(root, bob))['m.thread'];
    expect(thread).toMatchObject({ count: 2, current_user_participated: true });
    expect(thread.latest_event).toMatchObject({
      event_id: reply2,
      sender: bob.userId,
      room_id: roomId,
      content: { 'm.relates_to': { rel_type: 'm.thread', event_id: root } },
    });
    expect(
      thread.latest_event.unsigned['m.relations']['m.replace'].content['m.new_content'],
    ).toEqual(text('edited reply'));
    // The root's sender took part; carol only referenced it.
    expect((await relationsOf(root, alice))['m.thread'].current_user_participated).toBe(true);
    expect((await relationsOf(root, carol))['m.thread'].current_user_participated).toBe(false);
  });

  it('lists the references as event ids', async () => {
    expect((await relationsOf(root))['m.reference']).toEqual({ chunk: [{ event_id: ref }] });
  });

  it('a thread event is no root: a thread started from it is not summarised', async () => {
    const s = server();
    // /send refuses this (spec Threading); another server's event may still carry it.
    await sendUnchecked(s, roomId, carol, related('m.thread', reply1));
    expect((await relationsOf(reply1))?.['m.thread']).toBeUndefined();
  });

  it('redacted thread events stop counting', async () => {
    const s = server();
    const r = await send(s, roomId, alice, text('short thread'));
    const only = await send(s, roomId, bob, related('m.thread', r));
    expect((await relationsOf(r))['m.thread'].count).toBe(1);
    await redact(s, roomId, bob, only);
    expect(await relationsOf(r)).toBeUndefined();
  });

  it('/messages and /context bundle them, once per page', async () => {
    const s = server();
    const messages = await s.req('GET', `${room(roomId)}/messages?dir=b&limit=1000`, {
      token: carol.token,
    });
    const served = messages.json().chunk as { event_id: string; unsigned: Record<string, never> }[];
    const rootEv = served.find((e) => e.event_id === root)!;
    expect(rootEv.unsigned['m.relations']).toMatchObject({
      'm.thread': { count: 2, latest_event: { event_id: reply2 } },
      'm.reference': { chunk: [{ event_id: ref }] },
    });
    const context = await s.req('GET', `${room(roomId)}/context/${enc(root)}?limit=2`, {
      token: carol.token,
    });
    const ctxBody = context.json();
    expect(ctxBody.event.unsigned['m.relations']['m.thread'].count).toBe(2);
    expect(ctxBody.events_after[0].event_id).toBe(reply1);
  });

  it('/sync bundles them in a limited timeline', async () => {
    const s = server();
    const fresh = await createRoom(s, alice, [bob]);
    const r = await send(s, fresh, alice, text('root'));
    await send(s, fresh, bob, related('m.thread', r));
    const filter = enc(JSON.stringify({ room: { timeline: { limit: 2 } } }));
    const sync = await s.req('GET', `${V3}/sync?filter=${filter}`, { token: alice.token });
    const timeline = sync.json().rooms.join[fresh].timeline;
    expect(timeline.limited).toBe(true);
    const rootEv = timeline.events.find((e: { event_id: string }) => e.event_id === r);
    expect(rootEv.unsigned['m.relations']['m.thread']).toMatchObject({
      count: 1,
      current_user_participated: true,
    });
  });
});

describe('edits sent at the same millisecond', () => {
  const frozen = useServer(
    { rc_room_creation: { per_second: 1000, burst_count: 1000 } },
    { clock: { now: () => 1_700_000_000_000 } },
  );

  it('the edit with the lexicographically largest event id is the most recent', async () => {
    const s = frozen();
    const u = await s.register('eve');
    const r = await createRoom(s, u, []);
    const original = await send(s, r, u, text('v0'));
    const edits = [];
    for (let i = 1; i <= 4; i++) edits.push(await send(s, r, u, edit(original, `v${i}`)));
    const ev = await getEvent(s, r, original, u);
    expect(ev.unsigned['m.relations']['m.replace'].event_id).toBe([...edits].sort().at(-1));
  });
});
