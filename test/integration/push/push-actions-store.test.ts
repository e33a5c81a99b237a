import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as store from '../../../server/push/store.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** The push actions table on a real database: large rooms, counting per thread, pruning. */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const ROOM = '!big:test.local';
const row = (i: number, threadId = 'main'): store.PushActionRow => ({
  userId: `@u${i}:test.local`,
  threadId,
  actionsJson: '["notify"]',
  highlight: i % 2 === 0,
});

describe('push actions store', () => {
  it('records an event for 250 users, and replaces a row written again', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => row(i));
    const ev = { roomId: ROOM, streamOrdering: 10, eventId: '$e10' };
    await s.ctx.writer.transaction('test', async (tx) => {
      await store.insertPushActions(tx, ev, rows);
      // Written again (a retried hook): replaced, not doubled.
      await store.insertPushActions(tx, ev, rows.slice(0, 10));
    });
    for (const i of [0, 99, 100, 249]) {
      const counts = await store.countPushActionsAfter(s.ctx.db, {
        userId: `@u${i}:test.local`,
        roomId: ROOM,
        after: 0,
      });
      expect(counts).toEqual([
        { thread_id: 'main', notifications: 1, highlights: i % 2 === 0 ? 1 : 0, last: 10 },
      ]);
    }
  });

  it('counts per thread after a position, and forgets one thread before a position', async () => {
    const user = '@u1:test.local';
    await s.ctx.writer.transaction('test', async (tx) => {
      for (const [so, thread] of [
        [20, '$root'],
        [21, '$root'],
        [22, 'main'],
      ] as const) {
        await store.insertPushActions(
          tx,
          { roomId: ROOM, streamOrdering: so, eventId: `$e${so}` },
          [row(1, thread)],
        );
      }
    });
    const after = (n: number) =>
      store.countPushActionsAfter(s.ctx.db, { userId: user, roomId: ROOM, after: n });
    expect(await after(10)).toEqual(
      expect.arrayContaining([
        { thread_id: '$root', notifications: 2, highlights: 0, last: 21 },
        { thread_id: 'main', notifications: 1, highlights: 0, last: 22 },
      ]),
    );
    expect(
      await store.countThreadPushActionsAfter(s.ctx.db, {
        userId: user,
        roomId: ROOM,
        threadId: '$root',
        after: 20,
      }),
    ).toEqual({ notifications: 1, highlights: 0 });
    await s.ctx.writer.transaction('test', (tx) =>
      store.deletePushActionsBefore(tx, {
        userId: user,
        roomId: ROOM,
        threadId: '$root',
        streamOrdering: 22,
      }),
    );
    expect(await after(0)).toEqual([
      { thread_id: 'main', notifications: 2, highlights: 0, last: 22 },
    ]);
  });
});
