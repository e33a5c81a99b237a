import { describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { useServer } from '../../helpers/server.js';
import { createRoom, e, send, V3 } from './gaps-helpers.js';

/**
 * Threads cannot start from an event that itself has a relation (spec "Threading", server
 * behaviour, "Validation of m.thread relationships"): the send is refused with 400 M_UNKNOWN
 * and nothing is stored.
 */

const server = useServer();

const thread = (root: string, extra: object = {}) => ({
  msgtype: 'm.text',
  body: 'in thread',
  'm.relates_to': { rel_type: 'm.thread', event_id: root, ...extra },
});

describe('starting a thread from an event with a relation', () => {
  it('is refused for each kind of relation, and stores nothing', async () => {
    const s = server();
    const alice = await s.register('alice');
    const roomId = await createRoom(s, alice);
    const root = await send(s, alice, roomId, { msgtype: 'm.text', body: 'root' });
    const parents = {
      thread: await send(s, alice, roomId, thread(root)),
      edit: await send(s, alice, roomId, {
        msgtype: 'm.text',
        body: '* edit',
        'm.new_content': { msgtype: 'm.text', body: 'edit' },
        'm.relates_to': { rel_type: 'm.replace', event_id: root },
      }),
      annotation: await send(
        s,
        alice,
        roomId,
        { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } },
        'm.reaction',
      ),
      custom: await send(s, alice, roomId, {
        body: 'x',
        'm.relates_to': { rel_type: 'org.example.custom', event_id: root },
      }),
    };
    const before = (
      await s.req('GET', `${V3}/rooms/${e(roomId)}/messages?dir=b&limit=50`, { token: alice.token })
    ).json().chunk.length;
    for (const [kind, parent] of Object.entries(parents)) {
      const r = await s.req('PUT', `${V3}/rooms/${e(roomId)}/send/m.room.message/bad-${kind}`, {
        token: alice.token,
        body: thread(parent),
      });
      expectError(r, 400, 'M_UNKNOWN');
      expect(r.json().error).toMatch(/relation/i);
    }
    const after = (
      await s.req('GET', `${V3}/rooms/${e(roomId)}/messages?dir=b&limit=50`, { token: alice.token })
    ).json().chunk.length;
    expect(after).toBe(before);
    // The same transaction id may be used again once the content is fixed.
    const ok = await s.req('PUT', `${V3}/rooms/${e(roomId)}/send/m.room.message/bad-edit`, {
      token: alice.token,
      body: thread(root),
    });
    expect(ok.statusCode).toBe(200);
  });

  it('is allowed from a plain event and a rich reply (m.in_reply_to is no relation)', async () => {
    const s = server();
    const bob = await s.register('bob');
    const roomId = await createRoom(s, bob);
    const plain = await send(s, bob, roomId, { msgtype: 'm.text', body: 'plain' });
    const reply = await send(s, bob, roomId, {
      msgtype: 'm.text',
      body: 'reply',
      'm.relates_to': { 'm.in_reply_to': { event_id: plain } },
    });
    await send(s, bob, roomId, thread(plain));
    await send(s, bob, roomId, thread(reply));
    // A reply inside a thread (m.in_reply_to beside rel_type m.thread) is fine too.
    await send(s, bob, roomId, thread(plain, { 'm.in_reply_to': { event_id: plain } }));
    // Other relations to an event with a relation stay allowed (only threads are checked).
    const inThread = await send(s, bob, roomId, thread(plain));
    await send(
      s,
      bob,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: inThread, key: 'x' } },
      'm.reaction',
    );
  });
});
