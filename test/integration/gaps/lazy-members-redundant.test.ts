import { describe, expect, it } from 'vitest';
import { useServer } from '../../helpers/server.js';
import { createRoom, e, join, send, sync, V3, type User } from './gaps-helpers.js';

/**
 * Lazy-loading room members (spec "Lazy-loading room members", Filtering): with
 * lazy_load_members and include_redundant_members false (the default), an incremental
 * /sync leaves out the member events this device was already sent; an initial sync or
 * full_state starts over. include_redundant_members: true sends them every time.
 */

const server = useServer({ rc_joins: { local: { per_second: 1000, burst_count: 1000 } } });

const lazy = (redundant = false) => ({
  room: {
    timeline: { limit: 10 },
    state: { lazy_load_members: true, ...(redundant ? { include_redundant_members: true } : {}) },
  },
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;
/** The state_keys of the m.room.member events in a room's state section. */
const memberState = (body: Body, roomId: string): string[] =>
  (body.rooms?.join?.[roomId]?.state?.events ?? [])
    .filter((ev: { type: string }) => ev.type === 'm.room.member')
    .map((ev: { state_key: string }) => ev.state_key)
    .sort();
/** The member events a room's section gives: its state and its timeline. */
const membersSent = (body: Body, roomId: string): string[] => {
  const room = body.rooms?.join?.[roomId];
  return [...(room?.state?.events ?? []), ...(room?.timeline?.events ?? [])]
    .filter((ev: { type: string }) => ev.type === 'm.room.member')
    .map((ev: { state_key: string }) => ev.state_key);
};

async function setup(name: string) {
  const s = server();
  const alice = await s.register(`alice-${name}`);
  const bob = await s.register(`bob-${name}`);
  const roomId = await createRoom(s, alice);
  await join(s, bob, roomId);
  return { s, alice, bob, roomId };
}

/** alice speaks; bob syncs from `since` with `filter`. */
async function step(a: { alice: User; bob: User; roomId: string }, since: string, filter: object) {
  await send(server(), a.alice, a.roomId, { msgtype: 'm.text', body: 'hi' });
  return sync(server(), a.bob, { since, filter });
}

describe('lazy-loaded members are not sent twice to a device', () => {
  it('an incremental sync leaves out members already sent, and sends new ones', async () => {
    const t = await setup('basic');
    const first = await sync(server(), t.bob, { filter: lazy() });
    expect(membersSent(first, t.roomId)).toContain(t.alice.userId);
    const second = await step(t, first.next_batch, lazy());
    expect(second.rooms.join[t.roomId].timeline.events).toHaveLength(1);
    expect(memberState(second, t.roomId)).toEqual([]);
    // A new speaker's member event is sent once.
    const carol = await server().register('carol-basic');
    await join(server(), carol, t.roomId);
    const afterJoin = await sync(server(), t.bob, { since: second.next_batch, filter: lazy() });
    await send(server(), carol, t.roomId, { msgtype: 'm.text', body: 'carol here' });
    const third = await sync(server(), t.bob, { since: afterJoin.next_batch, filter: lazy() });
    // carol's join came in the timeline before: it counts as sent.
    expect(memberState(third, t.roomId)).toEqual([]);
    // A changed member event (new display name) is sent, in the timeline.
    const rename = await server().req(
      'PUT',
      `${V3}/rooms/${e(t.roomId)}/state/m.room.member/${e(t.alice.userId)}`,
      { token: t.alice.token, body: { membership: 'join', displayname: 'Alice' } },
    );
    expect(rename.statusCode).toBe(200);
    const fourth = await step(t, third.next_batch, lazy());
    const types = fourth.rooms.join[t.roomId].timeline.events.map(
      (ev: { type: string }) => ev.type,
    );
    expect(types).toEqual(['m.room.member', 'm.room.message']);
    expect(memberState(await step(t, fourth.next_batch, lazy()), t.roomId)).toEqual([]);
  });

  it('a lazy incremental sync with nothing new names no room', async () => {
    const t = await setup('quiet');
    const first = await sync(server(), t.bob, { filter: lazy() });
    const next = await sync(server(), t.bob, { since: first.next_batch, filter: lazy() });
    expect(next.rooms?.join?.[t.roomId]).toBeUndefined();
  });

  it('include_redundant_members: true sends them every time', async () => {
    const t = await setup('redundant');
    const first = await sync(server(), t.bob, { filter: lazy(true) });
    const second = await step(t, first.next_batch, lazy(true));
    expect(memberState(second, t.roomId)).toEqual([t.alice.userId, t.bob.userId].sort());
  });

  it('an initial sync and full_state start over; each device has its own record', async () => {
    const t = await setup('reset');
    const first = await sync(server(), t.bob, { filter: lazy() });
    const again = await sync(server(), t.bob, { filter: lazy() });
    expect(membersSent(again, t.roomId)).toContain(t.alice.userId);
    expect(memberState(await step(t, again.next_batch, lazy()), t.roomId)).toEqual([]);
    const full = await sync(server(), t.bob, {
      since: first.next_batch,
      filter: lazy(),
      fullState: true,
    });
    expect(membersSent(full, t.roomId)).toContain(t.alice.userId);
    expect(memberState(await step(t, full.next_batch, lazy()), t.roomId)).toEqual([]);

    // Another device of bob was sent nothing yet: it gets alice's member event.
    const login = await server().req('POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: t.bob.userId },
        password: 'correct horse battery staple',
      },
    });
    const phone = { ...t.bob, token: login.json().access_token as string };
    const phoneFirst = await sync(server(), phone, {
      filter: { room: { timeline: { limit: 1 } } },
    });
    await send(server(), t.alice, t.roomId, { msgtype: 'm.text', body: 'to phone' });
    const phoneNext = await sync(server(), phone, { since: phoneFirst.next_batch, filter: lazy() });
    expect(membersSent(phoneNext, t.roomId)).toContain(t.alice.userId);
  });
});
