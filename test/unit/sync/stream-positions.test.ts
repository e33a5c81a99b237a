import { describe, expect, it } from 'vitest';
import { accountDataPosition } from '../../../server/userdata/account-data.js';
import { positionAtCommit } from '../../../server/sync/stream-positions.js';
import * as syncStore from '../../../server/sync/sync-store.js';
import { useServer } from '../../helpers/server.js';

/**
 * Stream positions read once per commit of the writer (server/sync/stream-positions.ts):
 * shared by every reader while no commit is made, whatever the turns of the event loop in
 * between, and read again after every commit, so a reader never sees a position older than
 * the last commit.
 */

const srv = useServer();

describe('positionAtCommit', () => {
  it('reads once while no commit is made, across turns of the event loop', async () => {
    const { ctx } = srv();
    let reads = 0;
    const read = () => {
      reads++;
      return syncStore.getMaxStreamOrdering(ctx.db);
    };
    const first = await positionAtCommit(ctx, 'events-test', read);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    expect(await positionAtCommit(ctx, 'events-test', read)).toBe(first);
    expect(reads).toBe(1);
  });

  it('reads again after a commit, and sees what it wrote', async () => {
    const s = srv();
    const alice = await s.register('pos-alice');
    const room = (
      await s.req('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body: {} })
    ).json().room_id as string;
    const read = () => syncStore.getMaxStreamOrdering(s.ctx.db);
    const before = await positionAtCommit(s.ctx, 'events', read);
    const commits = s.ctx.writer.commits;
    const sent = await s.req('PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/t1`, {
      token: alice.token,
      body: { msgtype: 'm.text', body: 'hi' },
    });
    expect(sent.statusCode).toBe(200);
    expect(s.ctx.writer.commits).toBeGreaterThan(commits);
    // The same turn as the send's answer: the commit alone makes the next reader read.
    const after = await positionAtCommit(s.ctx, 'events', read);
    expect(after).toBeGreaterThan(before);
    expect(after).toBe(await syncStore.getMaxStreamOrdering(s.ctx.db));
  });

  it('counts the commit before its callbacks run: one reading inside them sees it', async () => {
    const s = srv();
    const alice = await s.register('pos-bob');
    const before = await accountDataPosition(s.ctx);
    let seen: number | undefined;
    await s.ctx.writer.transaction('test_account_data', async (tx) => {
      await tx.run(
        `INSERT INTO account_data (user_id, room_id, type, content_json, stream_id)
         VALUES (?, '', 'org.example.pos', '{}', ?)`,
        alice.userId,
        before + 1,
      );
      tx.onCommit(() => {
        void accountDataPosition(s.ctx).then((p) => (seen = p));
      });
    });
    expect(seen).toBe(before + 1);
  });

  it('does not keep a failed read', async () => {
    const { ctx } = srv();
    let calls = 0;
    const failing = () => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('read failed')) : Promise.resolve(7);
    };
    await expect(positionAtCommit(ctx, 'flaky', failing)).rejects.toThrow('read failed');
    expect(await positionAtCommit(ctx, 'flaky', failing)).toBe(7);
    expect(calls).toBe(2);
  });
});
