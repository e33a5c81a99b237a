import { afterAll, beforeAll, expect, it } from 'vitest';
import { markRemoteDeviceListChanged } from '../../../server/e2ee/device-lists.js';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { sync, V3, type Device } from './keys-fixtures.js';

/**
 * Users of other servers in the device-list stream: when this server applies a change of a
 * remote user's devices (markRemoteDeviceListChanged, called by the m.device_list_update
 * receiver), local users sharing a room with that user see them in device_lists.changed,
 * and their long-polls wake; local users who share no room do not. Two real Hearths on
 * loopback make the shared room (carol of B joins alice's room of A over federation).
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let alice: Device;
let dave: Device;
let carol: Device;

beforeAll(async () => {
  a = await startFederatedServer('hs-a.test', ports);
  b = await startFederatedServer('hs-b.test', ports);
  alice = (await a.register('alice')) as Device;
  dave = (await a.register('dave')) as Device;
  carol = (await b.register('carol')) as Device;
  const created = await a.req('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: { preset: 'public_chat' },
  });
  expect(created.statusCode).toBe(200);
  const roomId = created.json().room_id as string;
  const join = await b.req('POST', `${V3}/join/${roomId}?server_name=hs-a.test`, {
    token: carol.token,
    body: {},
  });
  expect(join.statusCode, join.body).toBe(200);
}, 30_000);
afterAll(async () => {
  await Promise.all([a, b].map((s) => s?.close()));
});

function remoteChange(userId: string): Promise<void> {
  return a.ctx.writer.transaction('test_remote_device_list', (tx) =>
    markRemoteDeviceListChanged(a.ctx, tx, userId),
  );
}

it('a remote user sharing a room shows in device_lists.changed; others do not', async () => {
  const a0 = (await sync(a, alice)).next_batch;
  const d0 = (await sync(a, dave)).next_batch;
  await remoteChange(carol.userId);
  await remoteChange('@stranger:hs-c.test');
  const next = await sync(a, alice, a0);
  expect(next.device_lists).toEqual({ changed: [carol.userId], left: [] });
  expect((await sync(a, dave, d0)).device_lists).toEqual({ changed: [], left: [] });
  const qs = new URLSearchParams({ from: a0, to: next.next_batch });
  const changes = await a.req('GET', `${V3}/keys/changes?${qs}`, { token: alice.token });
  expect(changes.json()).toEqual({ changed: [carol.userId], left: [] });
});

it('wakes the long-poll of a local user sharing a room', async () => {
  const a0 = (await sync(a, alice)).next_batch;
  const started = Date.now();
  const polling = sync(a, alice, a0, 10_000);
  await new Promise((r) => setTimeout(r, 200));
  await remoteChange(carol.userId);
  expect((await polling).device_lists?.changed).toEqual([carol.userId]);
  expect(Date.now() - started).toBeLessThan(5_000);
});
