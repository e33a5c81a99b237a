import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  PW,
  V3,
  claim,
  deviceSigningKey,
  oneTimeKeys,
  query,
  signedDeviceKeys,
  type Device,
} from './keys-fixtures.js';

/**
 * Dehydrated devices at the unstable MSC3814 endpoints matrix-js-sdk 36 calls
 * (rust-crypto/DehydratedDeviceManager.js): PUT/GET/DELETE /dehydrated_device and
 * POST /dehydrated_device/{device_id}/events.
 */

const MSC3814 = '/_matrix/client/unstable/org.matrix.msc3814.v1';

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`dd${++n}`) as Promise<Device>;

/** A device id as the Rust SDK makes one: its curve25519 key, unpadded base64 ("/" and "+"). */
function dehydratedId(): string {
  return `/+${randomBytes(30).toString('base64').replace(/=+$/, '')}`;
}

/** The PUT body a client sends for a new dehydrated device of `u`. */
function dehydrateBody(u: Device, deviceId = dehydratedId(), otks = 3) {
  const d = { ...u, deviceId };
  const key = deviceSigningKey(deviceId);
  return {
    device_id: deviceId,
    device_data: { algorithm: 'org.matrix.msc3814.v2', device_pickle: `pickle-of-${deviceId}` },
    initial_device_display_name: 'Dehydrated device',
    device_keys: signedDeviceKeys(d, key, { dehydrated: true }),
    one_time_keys: oneTimeKeys(d, key, otks),
    fallback_keys: {},
  };
}

async function dehydrate(u: Device, body: Record<string, unknown> = dehydrateBody(u)) {
  const r = await s.req('PUT', `${MSC3814}/dehydrated_device`, { token: u.token, body });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json()).toEqual({ device_id: body.device_id });
  return body.device_id as string;
}

const getDehydrated = (u: Device) =>
  s.req('GET', `${MSC3814}/dehydrated_device`, { token: u.token });
const deleteDehydrated = (u: Device) =>
  s.req('DELETE', `${MSC3814}/dehydrated_device`, { token: u.token });
function events(u: Device, deviceId: string, nextBatch?: string) {
  return s.req('POST', `${MSC3814}/dehydrated_device/${encodeURIComponent(deviceId)}/events`, {
    token: u.token,
    body: nextBatch === undefined ? {} : { next_batch: nextBatch },
  });
}
async function deviceIds(u: Device): Promise<string[]> {
  const r = await s.req('GET', `${V3}/devices`, { token: u.token });
  return (r.json().devices as { device_id: string }[]).map((d) => d.device_id).sort();
}
let txn = 0;
async function sendToDevice(from: Device, to: string, deviceId: string, content: unknown) {
  const r = await s.req('PUT', `${V3}/sendToDevice/m.room_key_test/t${++txn}`, {
    token: from.token,
    body: { messages: { [to]: { [deviceId]: content } } },
  });
  expect(r.statusCode).toBe(200);
}

describe('GET /dehydrated_device', () => {
  it('is routed and answers 404 M_NOT_FOUND when there is none (the SDK: "supported")', async () => {
    expectError(await getDehydrated(await user()), 404, 'M_NOT_FOUND');
  });

  it('needs an access token', async () => {
    expectError(await s.req('GET', `${MSC3814}/dehydrated_device`), 401, 'M_MISSING_TOKEN');
  });
});

describe('PUT /dehydrated_device', () => {
  it('stores the device: its data, a device in /devices, its keys in /keys/query and /keys/claim', async () => {
    const alice = await user();
    const bob = await user();
    const body = dehydrateBody(alice);
    const id = await dehydrate(alice, body);
    expect((await getDehydrated(alice)).json()).toEqual({
      device_id: id,
      device_data: body.device_data,
    });
    expect(await deviceIds(alice)).toEqual([alice.deviceId, id].sort());
    const device = await s.req('GET', `${V3}/devices/${encodeURIComponent(id)}`, {
      token: alice.token,
    });
    expect(device.json()).toMatchObject({ device_id: id, display_name: 'Dehydrated device' });
    const keys = await query(s, bob, { [alice.userId]: [id] });
    expect(keys.device_keys[alice.userId]?.[id]).toMatchObject({
      device_id: id,
      dehydrated: true,
      keys: body.device_keys.keys,
    });
    const claimed = await claim(s, bob, { [alice.userId]: { [id]: 'signed_curve25519' } });
    expect(Object.keys(claimed.one_time_keys[alice.userId]?.[id] ?? {})).toHaveLength(1);
  });

  it('a new dehydrated device replaces the old one, which is deleted with its keys', async () => {
    const alice = await user();
    const bob = await user();
    const first = await dehydrate(alice);
    const second = await dehydrate(alice);
    expect((await getDehydrated(alice)).json().device_id).toBe(second);
    expect(await deviceIds(alice)).toEqual([alice.deviceId, second].sort());
    const keys = await query(s, bob, { [alice.userId]: [] });
    expect(Object.keys(keys.device_keys[alice.userId] ?? {})).not.toContain(first);
    expectError(await events(alice, first), 403, 'M_FORBIDDEN');
  });

  it('two PUTs at once leave one dehydrated device, and keys only for it', async () => {
    const alice = await user();
    const bob = await user();
    const bodies = [dehydrateBody(alice), dehydrateBody(alice), dehydrateBody(alice)];
    const answers = await Promise.all(
      bodies.map((body) =>
        s.req('PUT', `${MSC3814}/dehydrated_device`, { token: alice.token, body }),
      ),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const kept = (await getDehydrated(alice)).json().device_id as string;
    expect(await deviceIds(alice)).toEqual([alice.deviceId, kept].sort());
    const keys = await query(s, bob, { [alice.userId]: [] });
    expect(
      Object.keys(keys.device_keys[alice.userId] ?? {}).filter((id) => id !== alice.deviceId),
    ).toEqual([kept]);
  });

  it('the same PUT again (a retry) leaves one device with fresh keys', async () => {
    const alice = await user();
    const body = dehydrateBody(alice);
    await dehydrate(alice, body);
    await dehydrate(alice, body);
    expect(await deviceIds(alice)).toEqual([alice.deviceId, body.device_id].sort());
    expect((await getDehydrated(alice)).json().device_id).toBe(body.device_id);
  });

  it.each([
    [
      'no device_keys',
      (b: Record<string, unknown>) => ({ ...b, device_keys: undefined }),
      'M_MISSING_PARAM',
    ],
    [
      'no device_data',
      (b: Record<string, unknown>) => ({ ...b, device_data: undefined }),
      'M_MISSING_PARAM',
    ],
    [
      'device_data without algorithm',
      (b: Record<string, unknown>) => ({ ...b, device_data: { x: 1 } }),
      'M_MISSING_PARAM',
    ],
    [
      'no device_id',
      (b: Record<string, unknown>) => ({ ...b, device_id: undefined }),
      'M_MISSING_PARAM',
    ],
    [
      'device keys of another device id',
      (b: Record<string, unknown>) => ({ ...b, device_id: dehydratedId() }),
      'M_INVALID_PARAM',
    ],
    [
      'a bad self-signature',
      (b: Record<string, unknown>) => {
        const keys = b.device_keys as Record<string, unknown>;
        return { ...b, device_keys: { ...keys, algorithms: ['m.megolm.v1.aes-sha2'] } };
      },
      'M_INVALID_PARAM',
    ],
    [
      'one_time_keys not an object',
      (b: Record<string, unknown>) => ({ ...b, one_time_keys: 5 }),
      'M_BAD_JSON',
    ],
  ])('refuses %s, and stores nothing', async (_name, change, errcode) => {
    const alice = await user();
    const kept = await dehydrate(alice);
    const r = await s.req('PUT', `${MSC3814}/dehydrated_device`, {
      token: alice.token,
      body: change(dehydrateBody(alice)),
    });
    expectError(r, 400, errcode);
    expect((await getDehydrated(alice)).json().device_id).toBe(kept);
    expect(await deviceIds(alice)).toEqual([alice.deviceId, kept].sort());
  });

  it("refuses the id of one of the user's own devices, which keeps its state", async () => {
    const alice = await user();
    const body = dehydrateBody(alice, alice.deviceId);
    const r = await s.req('PUT', `${MSC3814}/dehydrated_device`, { token: alice.token, body });
    expectError(r, 400, 'M_INVALID_PARAM');
    expectError(await getDehydrated(alice), 404, 'M_NOT_FOUND');
    expect(await deviceIds(alice)).toEqual([alice.deviceId]);
    const whoami = await s.req('GET', `${V3}/account/whoami`, { token: alice.token });
    expect(whoami.json().device_id).toBe(alice.deviceId);
  });
});

describe('POST /dehydrated_device/{device_id}/events', () => {
  it('gives the messages sent to the device in batches, and keeps them', async () => {
    const alice = await user();
    const bob = await user();
    const id = await dehydrate(alice);
    for (let i = 0; i < 130; i++) await sendToDevice(bob, alice.userId, id, { i });
    // One sent to every device ("*") reaches the dehydrated device too.
    await sendToDevice(bob, alice.userId, '*', { all: true });
    const first = await events(alice, id);
    expect(first.statusCode).toBe(200);
    expect(first.json().events).toHaveLength(100);
    expect(first.json().events[0]).toEqual({
      sender: bob.userId,
      type: 'm.room_key_test',
      content: { i: 0 },
    });
    const second = await events(alice, id, first.json().next_batch);
    expect(second.json().events.map((e: { content: unknown }) => e.content)).toEqual([
      ...Array.from({ length: 30 }, (_, i) => ({ i: 100 + i })),
      { all: true },
    ]);
    const last = await events(alice, id, second.json().next_batch);
    expect(last.json()).toEqual({ events: [], next_batch: expect.any(String) });
    expect((await events(alice, id, last.json().next_batch)).json().events).toEqual([]);
    // Nothing was deleted: a rehydration that starts over reads them all again.
    expect((await events(alice, id)).json().events).toHaveLength(100);
  });

  it('with no messages: no events, and a next_batch', async () => {
    const alice = await user();
    const id = await dehydrate(alice);
    expect((await events(alice, id)).json()).toEqual({
      events: [],
      next_batch: expect.any(String),
    });
    const empty = await s.req(
      'POST',
      `${MSC3814}/dehydrated_device/${encodeURIComponent(id)}/events`,
      { token: alice.token },
    );
    expect(empty.json().events).toEqual([]);
  });

  it('403 M_FORBIDDEN for a device that is not the dehydrated one; 400 for a bad token', async () => {
    const alice = await user();
    expectError(await events(alice, 'NOPE'), 403, 'M_FORBIDDEN');
    const id = await dehydrate(alice);
    expectError(await events(alice, alice.deviceId), 403, 'M_FORBIDDEN');
    expectError(await events(alice, id, 'abc'), 400, 'M_INVALID_PARAM');
    expectError(await events(alice, id, '-1'), 400, 'M_INVALID_PARAM');
  });
});

describe('DELETE /dehydrated_device', () => {
  it('deletes the device, its keys and messages; a second DELETE is 404', async () => {
    const alice = await user();
    const bob = await user();
    const id = await dehydrate(alice);
    await sendToDevice(bob, alice.userId, id, { hello: 1 });
    const r = await deleteDehydrated(alice);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ device_id: id });
    expectError(await getDehydrated(alice), 404, 'M_NOT_FOUND');
    expect(await deviceIds(alice)).toEqual([alice.deviceId]);
    const keys = await query(s, bob, { [alice.userId]: [id] });
    expect(keys.device_keys[alice.userId]?.[id]).toBeUndefined();
    expectError(await events(alice, id), 403, 'M_FORBIDDEN');
    expectError(await deleteDehydrated(alice), 404, 'M_NOT_FOUND');
  });

  it('deleting the device through DELETE /devices/{id} ends the dehydrated device too', async () => {
    const alice = await user();
    const id = await dehydrate(alice);
    const url = `${V3}/devices/${encodeURIComponent(id)}`;
    const challenge = await s.req('DELETE', url, { token: alice.token, body: {} });
    const session = challenge.json().session as string;
    const r = await s.req('DELETE', url, {
      token: alice.token,
      body: {
        auth: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: alice.userId },
          password: PW,
          session,
        },
      },
    });
    expect(r.statusCode, r.body).toBe(200);
    expectError(await getDehydrated(alice), 404, 'M_NOT_FOUND');
  });
});

describe('dehydrated devices are per user', () => {
  it("another user neither sees nor reads nor deletes someone's dehydrated device", async () => {
    const alice = await user();
    const mallory = await user();
    const id = await dehydrate(alice);
    expectError(await getDehydrated(mallory), 404, 'M_NOT_FOUND');
    expectError(await events(mallory, id), 403, 'M_FORBIDDEN');
    expectError(await deleteDehydrated(mallory), 404, 'M_NOT_FOUND');
    expect((await getDehydrated(alice)).json().device_id).toBe(id);
  });
});
