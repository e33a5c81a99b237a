import { describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { useServer } from '../../helpers/server.js';
import { createRoom, e, join, send, sync, V3, type User } from './gaps-helpers.js';

/**
 * A redacted event no longer counts in unread notifications (as Synapse, which drops its
 * push actions when the redaction applies): /sync's unread_notifications and
 * unread_thread_notifications go down, for every member it notified. A refused redaction
 * changes nothing.
 */

const server = useServer({ rc_joins: { local: { per_second: 1000, burst_count: 1000 } } });

const THREADS = { room: { timeline: { unread_thread_notifications: true } } };
const text = (body: string, extra: object = {}) => ({ msgtype: 'm.text', body, ...extra });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const room = async (u: User, roomId: string): Promise<Record<string, any>> =>
  (await sync(server(), u, { filter: THREADS })).rooms.join[roomId];
const counts = async (u: User, roomId: string) => (await room(u, roomId)).unread_notifications;
const n = (notification_count: number, highlight_count = 0) => ({
  notification_count,
  highlight_count,
});

let txn = 0;
const redact = (u: User, roomId: string, eventId: string) =>
  server().req('PUT', `${V3}/rooms/${e(roomId)}/redact/${e(eventId)}/r${++txn}`, {
    token: u.token,
    body: {},
  });

async function setup(name: string) {
  const s = server();
  const alice = await s.register(`alice-${name}`);
  const bob = await s.register(`bob-${name}`);
  const carol = await s.register(`carol-${name}`);
  const roomId = await createRoom(s, alice);
  await join(s, bob, roomId);
  await join(s, carol, roomId);
  return { s, alice, bob, carol, roomId };
}

describe('redacted events leave the unread counts', () => {
  it('a redacted message and a redacted mention stop counting, for every member', async () => {
    const { s, alice, bob, carol, roomId } = await setup('main');
    const one = await send(s, bob, roomId, text('one'));
    const two = await send(s, bob, roomId, text('two'));
    const ping = await send(
      s,
      bob,
      roomId,
      text('hey', { 'm.mentions': { user_ids: [alice.userId] } }),
    );
    expect(await counts(alice, roomId)).toEqual(n(3, 1));
    expect(await counts(carol, roomId)).toEqual(n(3));

    expect((await redact(bob, roomId, two)).statusCode).toBe(200);
    expect(await counts(alice, roomId)).toEqual(n(2, 1));
    expect(await counts(carol, roomId)).toEqual(n(2));
    expect((await redact(bob, roomId, ping)).statusCode).toBe(200);
    expect(await counts(alice, roomId)).toEqual(n(1));
    expect(await counts(carol, roomId)).toEqual(n(1));
    // A moderator's redaction applies too (alice created the room; her own event marks
    // the room read for her, so carol's count shows it).
    expect((await redact(alice, roomId, one)).statusCode).toBe(200);
    expect(await counts(carol, roomId)).toEqual(n(0));
  });

  it('a redacted thread event leaves its thread count', async () => {
    const { s, alice, bob, roomId } = await setup('thread');
    const root = await send(s, alice, roomId, text('root'));
    const reply = await send(
      s,
      bob,
      roomId,
      text('in thread', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } }),
    );
    await send(
      s,
      bob,
      roomId,
      text('again', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } }),
    );
    expect((await room(alice, roomId)).unread_thread_notifications[root]).toEqual(n(2));
    expect((await redact(bob, roomId, reply)).statusCode).toBe(200);
    expect((await room(alice, roomId)).unread_thread_notifications[root]).toEqual(n(1));
  });

  it('a refused redaction changes nothing', async () => {
    const { s, alice, bob, carol, roomId } = await setup('refused');
    const one = await send(s, bob, roomId, text('one'));
    // carol has no power to redact bob's message.
    expectError(await redact(carol, roomId, one), 403, 'M_FORBIDDEN');
    expect(await counts(alice, roomId)).toEqual(n(1));
  });
});
