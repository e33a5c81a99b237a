import { describe, expect, it } from 'vitest';
import { useServer } from '../../helpers/server.js';
import { createRoom, e, join, sync, V3, type User } from './gaps-helpers.js';

/**
 * /sync's rooms.leave.{roomId}.account_data carries the room's account data (spec: "The
 * private data that this user has attached to this room"), as Synapse sends it: on an
 * incremental sync what changed since the token, on an initial one (include_leave) all of
 * it, through the filter's room.account_data.
 */

const server = useServer();

type Ev = { type: string; content: Record<string, unknown> };

async function setup(name: string) {
  const s = server();
  const alice = await s.register(`alice-${name}`);
  const bob = await s.register(`bob-${name}`);
  const roomId = await createRoom(s, alice);
  await join(s, bob, roomId);
  return { s, alice, bob, roomId };
}

const put = async (u: User, path: string, body: object) => {
  const r = await server().req('PUT', `${V3}/user/${e(u.userId)}${path}`, { token: u.token, body });
  expect(r.statusCode).toBe(200);
};
const leave = async (u: User, roomId: string) => {
  const r = await server().req('POST', `${V3}/rooms/${e(roomId)}/leave`, {
    token: u.token,
    body: {},
  });
  expect(r.statusCode).toBe(200);
};
const byType = (events: Ev[]) => Object.fromEntries(events.map((ev) => [ev.type, ev.content]));

describe('account data of left rooms in /sync', () => {
  it('incremental: the room account data changed since the token', async () => {
    const { bob, roomId } = await setup('inc');
    const first = await sync(server(), bob);
    await put(bob, `/rooms/${e(roomId)}/account_data/org.example.note`, { note: 'hi' });
    await put(bob, `/rooms/${e(roomId)}/tags/u.work`, { order: 0.5 });
    await put(bob, '/account_data/org.example.global', { g: 1 });
    await leave(bob, roomId);
    const next = await sync(server(), bob, { since: first.next_batch });
    const left = next.rooms.leave[roomId];
    expect(byType(left.account_data.events)).toEqual({
      'org.example.note': { note: 'hi' },
      'm.tag': { tags: { 'u.work': { order: 0.5 } } },
    });
    // Global account data stays at the top level only.
    expect(byType(next.account_data.events)).toEqual({ 'org.example.global': { g: 1 } });
    // Nothing changed since: the room is not sent again.
    const again = await sync(server(), bob, { since: next.next_batch });
    expect(again.rooms?.leave?.[roomId]).toBeUndefined();
  });

  it('initial with include_leave: all of it, through the room.account_data filter', async () => {
    const { bob, roomId } = await setup('init');
    await put(bob, `/rooms/${e(roomId)}/account_data/org.example.note`, { note: 'kept' });
    await put(bob, `/rooms/${e(roomId)}/account_data/org.example.hidden`, { x: 1 });
    await leave(bob, roomId);
    const filter = {
      room: { include_leave: true, account_data: { not_types: ['org.example.hidden'] } },
    };
    const body = await sync(server(), bob, { filter });
    expect(byType(body.rooms.leave[roomId].account_data.events)).toEqual({
      'org.example.note': { note: 'kept' },
    });
    // Without include_leave the room is not in an initial sync at all.
    expect((await sync(server(), bob)).rooms?.leave?.[roomId]).toBeUndefined();
  });

  it("another user's room account data is never sent", async () => {
    const { alice, bob, roomId } = await setup('other');
    const first = await sync(server(), bob);
    await put(alice, `/rooms/${e(roomId)}/account_data/org.example.alice`, { a: 1 });
    await leave(bob, roomId);
    const next = await sync(server(), bob, { since: first.next_batch });
    expect(next.rooms.leave[roomId].account_data.events).toEqual([]);
  });
});
