import { afterAll, beforeAll, expect, test } from 'vitest';
import * as store from '../../../server/federation/receive/store.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { joinBothSides, sendTxn } from './receive-helpers.js';
import { createRoom, ROOMY, type User } from './reads-helpers.js';

/**
 * m.device_list_update and m.signing_key_update EDUs from B about bob, who shares a room
 * with A (server/federation/receive/device-lists.ts): updates that follow one another are
 * applied; the first one, or one after a gap, makes A read bob's whole list from B (GET
 * /user/devices, B's real endpoint); updates for users of another server, for users who
 * share no room, or malformed ones change nothing.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let alice: User;
let bob: { userId: string; token: string; deviceId: string };
const BOB = '@bob:hs-b.test';

beforeAll(async () => {
  a = await startFederatedServer('hs-a.test', ports, { config: ROOMY });
  b = await startFederatedServer('hs-b.test', ports, { config: ROOMY });
  alice = await a.register('alice');
  bob = await b.register('bob');
  const roomId = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
  await joinBothSides(a, b, roomId, BOB);
});
afterAll(async () => {
  await Promise.all([a, b].map((s) => s?.close()));
});

let seq = 0;
const edusFromB = (...edus: unknown[]) => sendTxn(b, a, `dl${++seq}-${Date.now()}`, { edus });

const update = (content: Record<string, unknown>) => ({
  edu_type: 'm.device_list_update',
  content: { user_id: BOB, ...content },
});

const devicesOnA = async (userId = BOB) =>
  (await store.listRemoteDevices(a.ctx.db, userId)).map((d) => d.device_id);

test("the first update makes A read bob's whole list from B; the next ones follow", async () => {
  const requests = () => a.federation.sent.filter((r) => r.path.includes('/user/devices/'));
  expect(
    (await edusFromB(update({ device_id: 'NEWDEVICE', stream_id: 5, prev_id: [4] }))).status,
  ).toBe(200);
  // A held nothing for bob: it asked B for the list (B's real answer: bob's one device).
  expect(requests()).toHaveLength(1);
  expect(await devicesOnA()).toEqual([bob.deviceId]);
  expect((await store.getRemoteDeviceList(a.ctx.db, BOB))?.stream_id).toBe(5);

  // An update that follows the last one seen is applied as it is.
  await edusFromB(
    update({ device_id: 'PHONE', device_display_name: 'Phone', stream_id: 6, prev_id: [5] }),
  );
  expect((await devicesOnA()).sort()).toEqual(['PHONE', bob.deviceId].sort());
  await edusFromB(update({ device_id: 'PHONE', deleted: true, stream_id: 7, prev_id: [6] }));
  expect(await devicesOnA()).toEqual([bob.deviceId]);
  expect(requests()).toHaveLength(1);

  // A repeat of an old update changes nothing; one after a gap makes A read the list again.
  await edusFromB(update({ device_id: 'PHONE', stream_id: 6, prev_id: [5] }));
  expect(await devicesOnA()).toEqual([bob.deviceId]);
  await edusFromB(update({ device_id: 'TABLET', stream_id: 10, prev_id: [9] }));
  expect(requests()).toHaveLength(2);
  expect((await store.getRemoteDeviceList(a.ctx.db, BOB))?.stream_id).toBe(10);
});

test('signing key updates are kept; those for another server or malformed are not', async () => {
  const master = { user_id: BOB, usage: ['master'], keys: { 'ed25519:abc': 'abc' } };
  await edusFromB({
    edu_type: 'm.signing_key_update',
    content: { user_id: BOB, master_key: master },
  });
  const held = await store.getRemoteCrossSigningKeys(a.ctx.db, BOB);
  expect(held.map((k) => [k.key_type, JSON.parse(k.key_json)])).toEqual([['master', master]]);
  await edusFromB(
    {
      edu_type: 'm.signing_key_update',
      content: {
        user_id: '@mallory:hs-a.test',
        master_key: { ...master, user_id: '@mallory:hs-a.test' },
      },
    },
    { edu_type: 'm.signing_key_update', content: { user_id: BOB, master_key: 'not a key' } },
  );
  expect(await store.getRemoteCrossSigningKeys(a.ctx.db, '@mallory:hs-a.test')).toEqual([]);
  expect((await store.getRemoteCrossSigningKeys(a.ctx.db, BOB)).length).toBe(1);
});

test('updates about users of another server, users sharing no room, or malformed ones change nothing', async () => {
  await edusFromB(
    update({ user_id: '@alice:hs-a.test', device_id: 'X', stream_id: 1 }),
    update({ user_id: '@carol:hs-b.test', device_id: 'X', stream_id: 1 }),
    update({ device_id: 'X', stream_id: 'eleven' }),
    update({ device_id: '', stream_id: 12, prev_id: [10] }),
  );
  expect(await devicesOnA('@alice:hs-a.test')).toEqual([]);
  expect(await devicesOnA('@carol:hs-b.test')).toEqual([]);
  expect(await store.getRemoteDeviceList(a.ctx.db, '@carol:hs-b.test')).toBeUndefined();
  expect(await devicesOnA()).toEqual([bob.deviceId]);
});

test('a resync that fails leaves the list marked stale, and the next update reads it again', async () => {
  const saved = ports.get('hs-b.test')!;
  ports.delete('hs-b.test'); // A cannot reach B; B still reaches A
  try {
    const res = await edusFromB(update({ device_id: 'LOST', stream_id: 20, prev_id: [19] }));
    expect(res.status).toBe(200);
  } finally {
    ports.set('hs-b.test', saved);
  }
  expect(await store.getRemoteDeviceList(a.ctx.db, BOB)).toMatchObject({ stale: 1, stream_id: 20 });
  // A stale list is read again at the next update, even one that follows.
  await edusFromB(update({ device_id: 'AGAIN', stream_id: 21, prev_id: [20] }));
  expect(await store.getRemoteDeviceList(a.ctx.db, BOB)).toMatchObject({ stale: 0, stream_id: 21 });
  expect(await devicesOnA()).toEqual([bob.deviceId]);
});
