import { describe, expect, it } from 'vitest';
import { useServer } from '../../helpers/server.js';
import { createRoom, e, join, sync, V3, type User } from './gaps-helpers.js';

/**
 * A member who leaves, is kicked or is banned stops typing at once (spec "Typing
 * Notifications"; Synapse drops them from the room's typing list), and the others see the
 * new list in /sync's m.typing.
 */

const server = useServer({ rc_joins: { local: { per_second: 1000, burst_count: 1000 } } });

const typing = (u: User, roomId: string, on: boolean) =>
  server().req('PUT', `${V3}/rooms/${e(roomId)}/typing/${e(u.userId)}`, {
    token: u.token,
    body: on ? { typing: true, timeout: 60_000 } : { typing: false },
  });

/** The m.typing user_ids of a room in a sync response (undefined: not sent). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const typingIn = (body: Record<string, any>, roomId: string): string[] | undefined =>
  body.rooms?.join?.[roomId]?.ephemeral?.events?.find(
    (ev: { type: string }) => ev.type === 'm.typing',
  )?.content.user_ids;

describe('typing on leave', () => {
  for (const how of ['leave', 'kick', 'ban'] as const) {
    it(`${how}: the user is dropped from the typing list, and the others see it`, async () => {
      const s = server();
      const alice = await s.register(`alice-${how}`);
      const bob = await s.register(`bob-${how}`);
      const carol = await s.register(`carol-${how}`);
      const roomId = await createRoom(s, alice);
      await join(s, bob, roomId);
      await join(s, carol, roomId);
      expect((await typing(bob, roomId, true)).statusCode).toBe(200);
      expect((await typing(carol, roomId, true)).statusCode).toBe(200);
      const first = await sync(s, alice);
      expect(typingIn(first, roomId)?.sort()).toEqual([bob.userId, carol.userId].sort());

      const r =
        how === 'leave'
          ? await s.req('POST', `${V3}/rooms/${e(roomId)}/leave`, { token: bob.token, body: {} })
          : await s.req('POST', `${V3}/rooms/${e(roomId)}/${how}`, {
              token: alice.token,
              body: { user_id: bob.userId },
            });
      expect(r.statusCode).toBe(200);

      const next = await sync(s, alice, { since: first.next_batch });
      // Carol still types: only the one who left is dropped.
      expect(typingIn(next, roomId)).toEqual([carol.userId]);
      const fresh = await sync(s, alice);
      expect(typingIn(fresh, roomId)).toEqual([carol.userId]);
    });
  }

  it('a membership change that keeps the user in the room leaves their typing alone', async () => {
    const s = server();
    const alice = await s.register('alice-stay');
    const bob = await s.register('bob-stay');
    const roomId = await createRoom(s, alice);
    await join(s, bob, roomId);
    expect((await typing(bob, roomId, true)).statusCode).toBe(200);
    // A profile change re-sends bob's join event.
    const p = await s.req('PUT', `${V3}/rooms/${e(roomId)}/state/m.room.member/${e(bob.userId)}`, {
      token: bob.token,
      body: { membership: 'join', displayname: 'Bobby' },
    });
    expect(p.statusCode).toBe(200);
    expect(typingIn(await sync(s, alice), roomId)).toEqual([bob.userId]);
  });
});
