import * as sdk from 'matrix-js-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { quietSdkLogger } from '../../helpers/js-sdk.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { searchClient } from './fixture.js';

/** matrix-js-sdk, the real client, searching messages (paging back) and the user directory. */

let s: ListeningTestServer;
let client: sdk.MatrixClient;
const sent: string[] = [];

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  const c = searchClient(s);
  const alice = await s.register('alice');
  const bob = await s.register('bob');
  await s.req('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`, {
    token: bob.token,
    body: { displayname: 'Bob Builder' },
  });
  const room = await c.createRoom(alice, { preset: 'public_chat' });
  await c.join(bob, room);
  for (let i = 0; i < 15; i++) sent.push(await c.send(bob, room, `lighthouse keeper ${i}`));
  client = sdk.createClient({
    baseUrl: s.baseUrl,
    logger: quietSdkLogger,
    userId: alice.userId,
    accessToken: alice.token,
    deviceId: alice.deviceId,
  });
});
afterAll(async () => {
  client.stopClient();
  await s.close();
});

it('searchRoomEvents finds messages with context, and backPaginateRoomEventsSearch pages on', async () => {
  const first = await client.searchRoomEvents({ term: 'lighthouse' });
  expect(first.count).toBe(15);
  expect(first.highlights).toContain('lighthouse');
  expect(first.results).toHaveLength(10);
  expect(first.results[0]!.context.getEvent().getId()).toBe(sent[14]);
  expect(first.results[1]!.context.getTimeline().length).toBeGreaterThan(1);
  const all = await client.backPaginateRoomEventsSearch(first);
  expect(all.results.map((r) => r.context.getEvent().getId())).toEqual([...sent].reverse());
  expect(all.next_batch).toBeUndefined();
});

it('searchUserDirectory finds a user sharing a room, by display name', async () => {
  const res = await client.searchUserDirectory({ term: 'builder' });
  expect(res.limited).toBe(false);
  expect(res.results).toEqual([{ user_id: '@bob:test.local', display_name: 'Bob Builder' }]);
});
