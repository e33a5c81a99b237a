import * as sdk from 'matrix-js-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { quietSdkLogger } from '../../helpers/js-sdk.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { createRoom, edit, related, send, text, type User } from './fixtures.js';

/**
 * matrix-js-sdk 36, unmodified, reading relations and bundled aggregations the way Element
 * does: `client.relations()` (GET /event and GET /relations together) and the event
 * model's readers of unsigned.m.relations.
 */

let s: ListeningTestServer;
let alice: User;
let bob: User;
let client: sdk.MatrixClient;

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await s.register('alice');
  bob = await s.register('bob');
  client = sdk.createClient({
    baseUrl: s.baseUrl,
    logger: quietSdkLogger,
    userId: bob.userId,
    accessToken: bob.token,
    deviceId: bob.deviceId,
  });
});
afterAll(async () => {
  client?.stopClient();
  await s?.close();
});

test('an edited message with a thread, as the js-sdk reads it', async () => {
  const roomId = await createRoom(s, alice, [bob]);
  const root = await send(s, roomId, alice, text('hello'));
  const editId = await send(s, roomId, alice, edit(root, 'hello, world'));
  const replies = [
    await send(s, roomId, bob, related('m.thread', root, 'first')),
    await send(s, roomId, alice, related('m.thread', root, 'second')),
  ];

  const edits = await client.relations(roomId, root, sdk.RelationType.Replace);
  expect(edits.events.map((e) => e.getId())).toEqual([editId]);
  const original = edits.originalEvent!;
  expect(original.replacingEventId()).toBe(editId);
  // The server leaves the content alone; the client applies the bundled edit itself.
  expect(original.getOriginalContent().body).toBe('hello');
  expect(original.getContent().body).toBe('hello, world');

  const thread = await client.relations(roomId, root, sdk.THREAD_RELATION_TYPE.name, null, {
    dir: sdk.Direction.Backward,
    limit: 1,
  });
  expect(thread.events.map((e) => e.getId())).toEqual([replies[1]]);
  expect(thread.nextBatch).toEqual(expect.any(String));
  const summary = original.getServerAggregatedRelation<{
    count: number;
    current_user_participated: boolean;
    latest_event: { event_id: string };
  }>(sdk.THREAD_RELATION_TYPE.name);
  expect(summary).toMatchObject({
    count: 2,
    current_user_participated: true,
    latest_event: { event_id: replies[1] },
  });
  const rest = await client.relations(roomId, root, sdk.THREAD_RELATION_TYPE.name, null, {
    dir: sdk.Direction.Backward,
    from: thread.nextBatch!,
  });
  expect(rest.events.map((e) => e.getId())).toEqual([replies[0]]);
  expect(rest.nextBatch).toBeNull();
});
