import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  claim,
  deviceSigningKey,
  join,
  leave,
  login,
  oneTimeKeys,
  PW,
  query,
  sharedRoom,
  signedDeviceKeys,
  sync,
  uploadOk,
  V3,
  type Device,
} from './keys-fixtures.js';

/**
 * The device-list stream as clients see it: /sync device_lists (changed, left), GET
 * /keys/changes, and the long-poll woken by a key change (spec: "Tracking the device list
 * for a user", "Extensions to /sync").
 */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`dl${++n}`) as Promise<Device>;

async function changes(d: Device, from: string, to: string) {
  const qs = new URLSearchParams({ from, to });
  const r = await s.req('GET', `${V3}/keys/changes?${qs}`, { token: d.token });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { changed: string[]; left: string[] };
}

describe('device_lists in /sync and /keys/changes', () => {
  it('a key upload shows for users sharing a room and the uploader, not for others', async () => {
    const alice = await user();
    const bob = await user();
    const eve = await user();
    await sharedRoom(s, alice, bob);
    const b0 = (await sync(s, bob)).next_batch;
    const a0 = (await sync(s, alice)).next_batch;
    const e0 = (await sync(s, eve)).next_batch;
    await uploadOk(s, alice, { device_keys: signedDeviceKeys(alice) });

    const b1 = await sync(s, bob, b0);
    expect(b1.device_lists).toEqual({ changed: [alice.userId], left: [] });
    expect((await sync(s, alice, a0)).device_lists?.changed).toEqual([alice.userId]);
    expect((await sync(s, eve, e0)).device_lists).toEqual({ changed: [], left: [] });
    // The next sync from the new token has nothing more.
    expect((await sync(s, bob, b1.next_batch)).device_lists).toEqual({ changed: [], left: [] });
    // /keys/changes over the same window says the same.
    expect(await changes(bob, b0, b1.next_batch)).toEqual({ changed: [alice.userId], left: [] });
    expect(await changes(bob, b1.next_batch, b1.next_batch)).toEqual({ changed: [], left: [] });
  });

  it('one-time keys alone do not change the device list', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const key = deviceSigningKey(alice.deviceId);
    await uploadOk(s, alice, { device_keys: signedDeviceKeys(alice, key) });
    const b0 = (await sync(s, bob)).next_batch;
    await uploadOk(s, alice, { one_time_keys: oneTimeKeys(alice, key, 5) });
    expect((await sync(s, bob, b0)).device_lists?.changed).toEqual([]);
  });

  it('an identical device-key upload is no change', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const dk = signedDeviceKeys(alice);
    await uploadOk(s, alice, { device_keys: dk });
    const b0 = (await sync(s, bob)).next_batch;
    await uploadOk(s, alice, { device_keys: dk });
    expect((await sync(s, bob, b0)).device_lists?.changed).toEqual([]);
  });

  it('a key upload wakes the long-poll of a user sharing a room', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const b0 = (await sync(s, bob)).next_batch;
    const started = Date.now();
    const polling = sync(s, bob, b0, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    await uploadOk(s, alice, { device_keys: signedDeviceKeys(alice) });
    const woken = await polling;
    expect(woken.device_lists?.changed).toEqual([alice.userId]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('users who newly share a room are changed; users who share none any more are left', async () => {
    const alice = await user();
    const bob = await user();
    const carol = await user();
    const room = await sharedRoom(s, alice, bob);
    const b0 = (await sync(s, bob)).next_batch;
    const c0 = (await sync(s, carol)).next_batch;
    await join(s, carol, room);
    // Bob sees Carol arrive; Carol, who joined, sees everyone of the room.
    const b1 = await sync(s, bob, b0);
    expect(b1.device_lists).toEqual({ changed: [carol.userId], left: [] });
    const c1 = await sync(s, carol, c0);
    expect(c1.device_lists).toEqual({ changed: [alice.userId, bob.userId].sort(), left: [] });

    await leave(s, carol, room);
    expect((await sync(s, bob, b1.next_batch)).device_lists).toEqual({
      changed: [],
      left: [carol.userId],
    });
    // Carol, who left, may stop tracking both.
    expect((await sync(s, carol, c1.next_batch)).device_lists).toEqual({
      changed: [],
      left: [alice.userId, bob.userId].sort(),
    });
    expect(await changes(bob, b0, (await sync(s, bob)).next_batch)).toEqual({
      changed: [],
      left: [carol.userId],
    });
  });

  it('leaving one of two shared rooms is not "left"', async () => {
    const alice = await user();
    const bob = await user();
    const r1 = await sharedRoom(s, alice, bob);
    await sharedRoom(s, alice, bob);
    const b0 = (await sync(s, bob)).next_batch;
    await leave(s, alice, r1);
    expect((await sync(s, bob, b0)).device_lists).toEqual({ changed: [], left: [] });
  });

  it('deleting a device removes its keys and shows in device_lists.changed', async () => {
    const alice = await user();
    const phone = await login(s, alice);
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const key = deviceSigningKey(phone.deviceId);
    await uploadOk(s, phone, {
      device_keys: signedDeviceKeys(phone, key),
      one_time_keys: oneTimeKeys(phone, key, 3),
      fallback_keys: { 'signed_curve25519:fb': { key: 'eA', fallback: true, signatures: {} } },
    });
    const b0 = (await sync(s, bob)).next_batch;
    const path = `${V3}/devices/${phone.deviceId}`;
    const first = await s.req('DELETE', path, { token: alice.token, body: {} });
    expect(first.statusCode).toBe(401);
    const del = await s.req('DELETE', path, {
      token: alice.token,
      body: {
        auth: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: alice.userId },
          password: PW,
          session: first.json().session,
        },
      },
    });
    expect(del.statusCode, del.body).toBe(200);

    expect((await sync(s, bob, b0)).device_lists?.changed).toEqual([alice.userId]);
    expect((await query(s, bob, { [alice.userId]: [] })).device_keys[alice.userId]).toEqual({});
    const c = await claim(s, bob, { [alice.userId]: { [phone.deviceId]: 'signed_curve25519' } });
    expect(c.one_time_keys).toEqual({});
  });

  it('logging out removes the device keys; the next login on that device id starts clean', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const phone = await login(s, alice);
    await uploadOk(s, phone, {
      device_keys: signedDeviceKeys(phone),
      one_time_keys: oneTimeKeys(phone, deviceSigningKey(phone.deviceId), 2),
    });
    const b0 = (await sync(s, bob)).next_batch;
    const out = await s.req('POST', `${V3}/logout`, { token: phone.token, body: {} });
    expect(out.statusCode).toBe(200);
    expect((await sync(s, bob, b0)).device_lists?.changed).toEqual([alice.userId]);
    const again = await s.req('POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: alice.userId },
        password: PW,
        device_id: phone.deviceId,
      },
    });
    expect(again.statusCode).toBe(200);
    const fresh = await sync(s, { ...phone, token: again.json().access_token });
    expect(fresh.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect((await query(s, bob, { [alice.userId]: [] })).device_keys[alice.userId]).toEqual({});
  });

  it('a new login is a change at once, before it uploads keys; logging in again on it is not', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const b0 = (await sync(s, bob)).next_batch;
    const phone = await login(s, alice);
    const b1 = await sync(s, bob, b0);
    expect(b1.device_lists?.changed).toEqual([alice.userId]);
    const again = await s.req('POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: alice.userId },
        password: PW,
        device_id: phone.deviceId,
      },
    });
    expect(again.statusCode).toBe(200);
    expect((await sync(s, bob, b1.next_batch)).device_lists?.changed ?? []).toEqual([]);
  });

  it('logout/all removes the keys of every device', async () => {
    const alice = await user();
    const phone = await login(s, alice);
    const bob = await user();
    await sharedRoom(s, alice, bob);
    for (const d of [alice, phone]) {
      await uploadOk(s, d, {
        device_keys: signedDeviceKeys(d),
        one_time_keys: oneTimeKeys(d, deviceSigningKey(d.deviceId), 1),
      });
    }
    const b0 = (await sync(s, bob)).next_batch;
    const out = await s.req('POST', `${V3}/logout/all`, { token: phone.token, body: {} });
    expect(out.statusCode).toBe(200);
    expect((await sync(s, bob, b0)).device_lists?.changed).toEqual([alice.userId]);
    expect((await query(s, bob, { [alice.userId]: [] })).device_keys[alice.userId]).toEqual({});
    const c = await claim(s, bob, {
      [alice.userId]: {
        [alice.deviceId]: 'signed_curve25519',
        [phone.deviceId]: 'signed_curve25519',
      },
    });
    expect(c.one_time_keys).toEqual({});
  });

  it('renaming a device is a change (its name is in /keys/query)', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    await uploadOk(s, alice, { device_keys: signedDeviceKeys(alice) });
    const b0 = (await sync(s, bob)).next_batch;
    const r = await s.req('PUT', `${V3}/devices/${alice.deviceId}`, {
      token: alice.token,
      body: { display_name: 'Laptop' },
    });
    expect(r.statusCode).toBe(200);
    expect((await sync(s, bob, b0)).device_lists?.changed).toEqual([alice.userId]);
    const q = await query(s, bob, { [alice.userId]: [alice.deviceId] });
    expect(q.device_keys[alice.userId]![alice.deviceId]!.unsigned).toEqual({
      device_display_name: 'Laptop',
    });
  });

  it('an initial sync has no device_lists but always the key counts', async () => {
    const a = await user();
    const first = await sync(s, a);
    expect(first.device_lists).toBeUndefined();
    expect(first.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(first.device_unused_fallback_key_types).toEqual([]);
  });

  it('tokens from before the stream existed are accepted', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const full = (await sync(s, bob)).next_batch;
    const old = full.split('_')[0]!; // `s<events>`: every later stream reads as 0
    await uploadOk(s, alice, { device_keys: signedDeviceKeys(alice) });
    const r = await sync(s, bob, old);
    expect(r.device_lists?.changed).toContain(alice.userId);
    expect((await changes(bob, old, r.next_batch)).changed).toContain(alice.userId);
  });

  it('/keys/changes: bad or missing tokens are 400', async () => {
    const a = await user();
    const bad = await s.req('GET', `${V3}/keys/changes?from=nope&to=s1`, { token: a.token });
    expectError(bad, 400, 'M_INVALID_PARAM');
    const missing = await s.req('GET', `${V3}/keys/changes?from=s1`, { token: a.token });
    expectError(missing, 400, 'M_MISSING_PARAM');
  });
});
