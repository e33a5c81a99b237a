import * as sdk from 'matrix-js-sdk';
import { quietSdkLogger as quiet } from '../../helpers/js-sdk.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * matrix-js-sdk 36, unmodified, syncing against a real listening Hearth: two clients start,
 * share a room and each sees the other's messages arrive through /sync on its Room timeline.
 */

let s: ListeningTestServer;
const clients: sdk.MatrixClient[] = [];

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await s?.close();
});

/** A registered user's client, started and synced once. */
async function startedClient(username: string): Promise<sdk.MatrixClient> {
  const session = await s.register(username);
  const c = sdk.createClient({
    baseUrl: s.baseUrl,
    logger: quiet,
    userId: session.userId,
    accessToken: session.token,
    deviceId: session.deviceId,
  });
  clients.push(c);
  const prepared = new Promise<void>((resolve, reject) => {
    c.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === sdk.SyncState.Prepared) resolve();
      if (state === sdk.SyncState.Error) reject(data?.error ?? new Error('sync error'));
    });
  });
  await c.startClient({ initialSyncLimit: 10, pollTimeout: 2000 });
  await prepared;
  return c;
}

/** Resolves with the first message with `body` that reaches the client's room timeline. */
function timelineMessage(
  c: sdk.MatrixClient,
  roomId: string,
  body: string,
): Promise<sdk.MatrixEvent> {
  return new Promise((resolve) => {
    const onTimeline = (ev: sdk.MatrixEvent, room: sdk.Room | undefined) => {
      if (room?.roomId === roomId && ev.getContent().body === body) {
        c.off(sdk.RoomEvent.Timeline, onTimeline);
        resolve(ev);
      }
    };
    c.on(sdk.RoomEvent.Timeline, onTimeline);
  });
}

/** Resolves when the client's sync has the room with the given membership. */
function membership(c: sdk.MatrixClient, roomId: string, want: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (c.getRoom(roomId)?.getMyMembership() === want) {
        c.off(sdk.ClientEvent.Sync, check);
        c.off(sdk.RoomEvent.MyMembership, check);
        resolve();
      }
    };
    c.on(sdk.ClientEvent.Sync, check);
    c.on(sdk.RoomEvent.MyMembership, check);
    check();
  });
}

test('two js-sdk clients exchange messages and see each other on their timelines', async () => {
  const alice = await startedClient('alice');
  const bob = await startedClient('bob');
  const { room_id: roomId } = await alice.createRoom({
    name: 'SDK room',
    invite: [bob.getUserId()!],
  });

  await membership(bob, roomId, 'invite');
  expect(bob.getRoom(roomId)!.name).toBe('SDK room');
  await bob.joinRoom(roomId);
  await membership(bob, roomId, 'join');

  const bobSees = timelineMessage(bob, roomId, 'hello bob');
  await alice.sendTextMessage(roomId, 'hello bob');
  const seenByBob = await bobSees;
  expect(seenByBob.getSender()).toBe(alice.getUserId());

  const aliceSees = timelineMessage(alice, roomId, 'hello alice');
  await bob.sendTextMessage(roomId, 'hello alice');
  expect((await aliceSees).getSender()).toBe(bob.getUserId());

  const aliceRoom = alice.getRoom(roomId)!;
  const bodies = aliceRoom
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.getType() === 'm.room.message')
    .map((e) => e.getContent().body);
  expect(bodies).toEqual(['hello bob', 'hello alice']);
  expect(aliceRoom.getJoinedMemberCount()).toBe(2);
}, 30_000);
