import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { claimRemoteKeys, queryRemoteKeys } from '../../../server/e2ee/federation/remote-keys.js';
import * as receiveStore from '../../../server/federation/receive/store.js';
import { fedReq } from '../federation/reads-helpers.js';
import {
  startStandIn,
  startTwoServers,
  FED,
  V3,
  type StandIn,
  type TwoServers,
} from './federation-helpers.js';
import {
  deviceSigningKey,
  login,
  oneTimeKeys,
  signAs,
  signedDeviceKeys,
  uploadOk,
  type Device,
} from './keys-fixtures.js';

/**
 * Keys of users of other servers (server-server "End-to-End Encryption"): a user of B
 * queries and claims the keys of alice of A (federation POST /user/keys/query and
 * /user/keys/claim, served by A), through B's client API and B's remote-key functions;
 * servers that are slow, down, or answer with an error show under `failures` within the
 * timeout while the others answer; forged answers (keys of another user, device or server,
 * bad device signatures, keys not asked for) are dropped.
 */

const ports = new Map<string, number>();
let t: TwoServers;
let aliceKeys: Record<string, unknown>;
let alicePhone: Device;
let phoneKeys: Record<string, unknown>;
const standIns: StandIn[] = [];

beforeAll(async () => {
  t = await startTwoServers(ports);
  const key = deviceSigningKey(t.alice.deviceId);
  aliceKeys = signedDeviceKeys(t.alice, key);
  await uploadOk(t.a, t.alice, {
    device_keys: aliceKeys,
    one_time_keys: oneTimeKeys(t.alice, key, 2),
    fallback_keys: {
      'signed_curve25519:fb': {
        ...oneTimeKeys(t.alice, key, 1, 'fb')['signed_curve25519:fb0'],
        fallback: true,
      },
    },
  });
  alicePhone = await login(t.a, t.alice);
  phoneKeys = signedDeviceKeys(alicePhone);
  await uploadOk(t.a, alicePhone, { device_keys: phoneKeys });
}, 60_000);
afterAll(async () => {
  for (const s of standIns) await s.close();
  await t?.close();
});

const ALICE = '@alice:hs-a.test';

describe('A serves its users keys to other servers', () => {
  test('POST /user/keys/query: every device, or the ones named, with their signatures', async () => {
    const all = await fedReq(t.b, t.a, `${FED}/user/keys/query`, {
      method: 'POST',
      body: { device_keys: { [ALICE]: [], '@nobody:hs-a.test': [] } },
    });
    expect(all.status).toBe(200);
    expect(Object.keys(all.body.device_keys[ALICE]).sort()).toEqual(
      [t.alice.deviceId, alicePhone.deviceId].sort(),
    );
    expect(all.body.device_keys[ALICE][t.alice.deviceId]).toMatchObject({
      ...aliceKeys,
      unsigned: expect.any(Object),
    });
    expect(all.body.device_keys['@nobody:hs-a.test']).toEqual({});
    expect(all.body.master_keys).toEqual({});
    expect(all.body.self_signing_keys).toEqual({});
    expect(all.body.user_signing_keys).toBeUndefined();

    const one = await fedReq(t.b, t.a, `${FED}/user/keys/query`, {
      method: 'POST',
      body: { device_keys: { [ALICE]: [alicePhone.deviceId] } },
    });
    expect(Object.keys(one.body.device_keys[ALICE])).toEqual([alicePhone.deviceId]);
  });

  test('a user of another server, a malformed user id or body: 400, nothing read or claimed', async () => {
    for (const [path, body] of [
      [`${FED}/user/keys/query`, { device_keys: { '@bob:hs-b.test': [] } }],
      [`${FED}/user/keys/query`, { device_keys: { alice: [] } }],
      [
        `${FED}/user/keys/claim`,
        { one_time_keys: { '@bob:hs-b.test': { X: 'signed_curve25519' } } },
      ],
      [
        `${FED}/user/keys/claim`,
        {
          one_time_keys: {
            [ALICE]: { [t.alice.deviceId]: 'signed_curve25519' },
            '@x:hs-c.test': {},
          },
        },
      ],
    ] as const) {
      const r = await fedReq(t.b, t.a, path, { method: 'POST', body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.errcode).toBe('M_INVALID_PARAM');
    }
    const bad = await fedReq(t.b, t.a, `${FED}/user/keys/query`, {
      method: 'POST',
      body: { device_keys: { [ALICE]: 'all' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
    // Unsigned: not another server.
    const res = await fetch(`${t.a.baseUrl}${FED}/user/keys/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_keys: { [ALICE]: [] } }),
    });
    expect(res.status).toBe(401);
    // The refused claim above took no key: both one-time keys are still there.
    const counts = await t.a.req('POST', `${V3}/keys/upload`, { token: t.alice.token, body: {} });
    expect(counts.json().one_time_key_counts.signed_curve25519).toBe(2);
  });

  test('GET /user/devices: keys, stream id and display names', async () => {
    const r = await fedReq(t.b, t.a, `${FED}/user/devices/${encodeURIComponent(ALICE)}`);
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(ALICE);
    expect(Number.isSafeInteger(r.body.stream_id)).toBe(true);
    expect(r.body.stream_id).toBeGreaterThan(0); // the uploads and the new device were announced
    const phone = r.body.devices.find(
      (d: { device_id: string }) => d.device_id === alicePhone.deviceId,
    );
    expect(phone.keys).toEqual(phoneKeys);
  });
});

describe("a user of B queries and claims alice's keys", () => {
  test("B's client /keys/query asks A, checks and passes on the answer", async () => {
    const r = await t.b.req('POST', `${V3}/keys/query`, {
      token: t.bob.token,
      body: { device_keys: { [ALICE]: [] }, timeout: 5000 },
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.failures).toEqual({});
    expect(body.device_keys[ALICE][t.alice.deviceId]).toMatchObject(aliceKeys);
    expect(body.device_keys[ALICE][alicePhone.deviceId]).toMatchObject(phoneKeys);
  });

  test('the list B learnt is kept (bob shares a room with alice), and answers the next query', async () => {
    await expectHeld(ALICE, [t.alice.deviceId, alicePhone.deviceId]);
    const asked = () =>
      t.b.federation.sent.filter((s) => s.path === `${FED}/user/keys/query`).length;
    const before = asked();
    const again = await queryRemoteKeys(t.b.ctx, { [ALICE]: [t.alice.deviceId] }, 5000);
    expect(asked()).toBe(before);
    expect(Object.keys(again.device_keys[ALICE]!)).toEqual([t.alice.deviceId]);
    expect(again.device_keys[ALICE]![t.alice.deviceId]).toMatchObject(aliceKeys);
  });

  test("B's client /keys/claim gets a one-time key of alice's once, then her fallback key", async () => {
    const claim = async () => {
      const r = await t.b.req('POST', `${V3}/keys/claim`, {
        token: t.bob.token,
        body: { one_time_keys: { [ALICE]: { [t.alice.deviceId]: 'signed_curve25519' } } },
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().failures).toEqual({});
      return Object.keys(r.json().one_time_keys[ALICE][t.alice.deviceId]);
    };
    const first = await claim();
    const second = await claim();
    const third = await claim();
    expect(new Set([...first, ...second])).toEqual(
      new Set(['signed_curve25519:k0', 'signed_curve25519:k1']),
    );
    expect(third).toEqual(['signed_curve25519:fb']);
  });
});

describe('servers that fail, and answers that lie', () => {
  test('a slow, a down and a failing server show under failures within the timeout', async () => {
    standIns.push(await startStandIn('slow.test', ports, () => null));
    standIns.push(
      await startStandIn('broken.test', ports, async () => ({
        status: 500,
        body: { errcode: 'M_UNKNOWN', error: 'boom' },
      })),
    );
    const started = Date.now();
    const r = await queryRemoteKeys(
      t.b.ctx,
      {
        '@x:slow.test': [],
        '@y:down.test': [],
        '@z:broken.test': [],
        '@carol:hs-a.test': [],
      },
      800,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.failures['slow.test']).toMatchObject({ status: 503 });
    expect(r.failures['down.test']).toMatchObject({ status: 503 });
    expect(r.failures['broken.test']).toMatchObject({
      status: 500,
      message: expect.stringContaining('boom'),
    });
    expect(r.failures['hs-a.test']).toBeUndefined();

    const claimed = await claimRemoteKeys(
      t.b.ctx,
      { '@x:slow.test': { D: 'signed_curve25519' } },
      500,
    );
    expect(claimed).toEqual({
      one_time_keys: {},
      failures: { 'slow.test': expect.objectContaining({ status: 503 }) },
    });
  });

  test('through the client API too: /keys/query with a timeout lists the slow server', async () => {
    const started = Date.now();
    const r = await t.b.req('POST', `${V3}/keys/query`, {
      token: t.bob.token,
      body: { device_keys: { '@x:slow.test': [], [ALICE]: [] }, timeout: 700 },
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.statusCode).toBe(200);
    expect(r.json().failures['slow.test']).toMatchObject({ status: 503 });
    expect(Object.keys(r.json().device_keys[ALICE])).toHaveLength(2);
  });

  test('keys of another user, device or server, or badly signed, are dropped', async () => {
    const eve: Device = { userId: '@eve:forged.test', token: '', deviceId: 'EVE1' };
    const eveKey = deviceSigningKey('EVE1');
    const good = signedDeviceKeys(eve, eveKey);
    const otherDevice = signedDeviceKeys({ ...eve, deviceId: 'EVE2' });
    const damaged = { ...signedDeviceKeys({ ...eve, deviceId: 'EVE3' }), algorithms: ['changed'] };
    const mallory = signedDeviceKeys({ userId: '@mallory:forged.test', token: '', deviceId: 'M1' });
    const forged = await startStandIn('forged.test', ports, async (path) => ({
      status: 200,
      body: path.endsWith('/user/keys/query')
        ? {
            device_keys: {
              '@eve:forged.test': {
                EVE1: good,
                EVE9: otherDevice, // another device's keys under this id
                EVE3: damaged, // signature no longer verifies
                ALIEN: signedDeviceKeys({ userId: ALICE, token: '', deviceId: 'ALIEN' }),
              },
              '@mallory:forged.test': { M1: mallory }, // not asked for
              [ALICE]: { [t.alice.deviceId]: aliceKeys }, // another server's user
            },
            master_keys: {
              '@eve:forged.test': { user_id: ALICE, usage: ['master'], keys: { 'ed25519:x': 'x' } },
            },
            self_signing_keys: {
              '@eve:forged.test': {
                user_id: '@eve:forged.test',
                usage: ['self_signing'],
                keys: { 'ed25519:s': 's' },
              },
            },
          }
        : {
            one_time_keys: {
              '@eve:forged.test': {
                EVE1: { 'signed_curve25519:a': signAs({ key: 'k' }, eve.userId, eveKey) },
                EVE2: { 'curve25519:b': 'wrong algorithm' },
                EXTRA: { 'signed_curve25519:c': { key: 'not asked for' } },
              },
              [ALICE]: { [t.alice.deviceId]: { 'signed_curve25519:z': { key: 'forged' } } },
            },
          },
    }));
    standIns.push(forged);
    const r = await queryRemoteKeys(t.b.ctx, { '@eve:forged.test': [] }, 2000);
    expect(r.failures).toEqual({});
    expect(Object.keys(r.device_keys)).toEqual(['@eve:forged.test']);
    expect(r.device_keys['@eve:forged.test']).toEqual({ EVE1: good });
    expect(r.master_keys).toEqual({});
    expect(Object.keys(r.self_signing_keys)).toEqual(['@eve:forged.test']);

    const c = await claimRemoteKeys(
      t.b.ctx,
      { '@eve:forged.test': { EVE1: 'signed_curve25519', EVE2: 'signed_curve25519' } },
      2000,
    );
    expect(c.failures).toEqual({});
    expect(c.one_time_keys).toEqual({
      '@eve:forged.test': { EVE1: { 'signed_curve25519:a': expect.any(Object) } },
    });
  });
});

/** B holds alice's device list, with exactly these devices. */
async function expectHeld(userId: string, deviceIds: string[]): Promise<void> {
  const held = await receiveStore.getRemoteDeviceList(t.b.ctx.db, userId);
  expect(held).toMatchObject({ stale: 0 });
  const devices = await receiveStore.listRemoteDevices(t.b.ctx.db, userId);
  expect(devices.map((d) => d.device_id).sort()).toEqual([...deviceIds].sort());
}

describe('device names, with allow_device_name_lookup_over_federation at its default (false)', () => {
  test('other servers see no device names, in /user/devices nor /user/keys/query', async () => {
    const quiet = await startTwoServers(new Map(), { shareDeviceNames: false });
    try {
      const rename = await quiet.a.req('PUT', `${V3}/devices/${quiet.alice.deviceId}`, {
        token: quiet.alice.token,
        body: { display_name: 'Secret laptop' },
      });
      expect(rename.statusCode).toBe(200);
      await uploadOk(quiet.a, quiet.alice, { device_keys: signedDeviceKeys(quiet.alice) });
      const devices = await fedReq(
        quiet.b,
        quiet.a,
        `${FED}/user/devices/${encodeURIComponent(ALICE)}`,
      );
      expect(devices.status).toBe(200);
      expect(devices.body.devices).toHaveLength(1);
      expect(devices.body.devices[0].keys).toBeDefined();
      expect(devices.body.devices[0].device_display_name).toBeUndefined();
      const query = await fedReq(quiet.b, quiet.a, `${FED}/user/keys/query`, {
        method: 'POST',
        body: { device_keys: { [ALICE]: [] } },
      });
      expect(query.body.device_keys[ALICE][quiet.alice.deviceId].unsigned).toBeUndefined();
      // Its owner still sees it.
      const own = await quiet.a.req('POST', `${V3}/keys/query`, {
        token: quiet.alice.token,
        body: { device_keys: { [ALICE]: [] } },
      });
      expect(own.json().device_keys[ALICE][quiet.alice.deviceId].unsigned).toEqual({
        device_display_name: 'Secret laptop',
      });
    } finally {
      await quiet.close();
    }
  });
});
