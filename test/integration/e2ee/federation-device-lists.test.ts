import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { signingKeyFromSeed, type SigningKey } from '../../../server/core/signing.js';
import * as receiveStore from '../../../server/federation/receive/store.js';
import { startFederatedServer, startTestSender, until } from '../../helpers/federation-loopback.js';
import { createTestServer } from '../../helpers/server.js';
import { queryUserDevices } from '../../../server/federation/reads/queries.js';
import { fedReq } from '../federation/reads-helpers.js';
import { enc, FED, startTwoServers, V3, type TwoServers } from './federation-helpers.js';
import {
  login,
  PW,
  signAs,
  signedDeviceKeys,
  sync,
  uploadOk,
  type Device,
} from './keys-fixtures.js';

/**
 * Device lists over federation (server-server "Device Management", m.signing_key_update):
 * what alice of A does to her devices and keys reaches B as m.device_list_update EDUs
 * whose stream ids follow one another (each names the one before in prev_id), which B
 * applies without asking; a lost update makes B read the whole list again (GET
 * /user/devices, whose stream_id is A's newest); deleted devices and new cross-signing keys
 * arrive; bob of B sees alice in device_lists.changed.
 */

const ports = new Map<string, number>();
let t: TwoServers;
const ALICE = '@alice:hs-a.test';

beforeAll(async () => {
  t = await startTwoServers(ports);
  await uploadOk(t.a, t.alice, { device_keys: signedDeviceKeys(t.alice) });
  await bHoldsAsA();
}, 60_000);
afterAll(() => t?.close());

/**
 * What A answers to GET /user/devices for alice (read in A, as B's requests are counted).
 * Waits first until A's outbox holds no device-list update for B (sent ones are deleted
 * once B has answered).
 */
async function aliceOnA() {
  await until(async () => (await waitingUpdates()).length === 0);
  return queryUserDevices(t.a.ctx, ALICE);
}

/** Waits until B holds alice's list at A's stream id; returns B's devices of alice. */
async function bHoldsAsA() {
  const { stream_id: streamId } = await aliceOnA();
  await until(async () => {
    const held = await receiveStore.getRemoteDeviceList(t.b.ctx.db, ALICE);
    return held?.stream_id === streamId && held.stale === 0;
  });
  return receiveStore.listRemoteDevices(t.b.ctx.db, ALICE);
}

const resyncs = () =>
  t.b.federation.sent.filter((r) => r.path === `${FED}/user/devices/${enc(ALICE)}`).length;

/** The m.device_list_update EDUs A has waiting for B. */
async function waitingUpdates(): Promise<Record<string, unknown>[]> {
  const rows = await t.a.ctx.db.all<{ content_json: string }>(
    `SELECT content_json FROM federation_outbox_edus
     WHERE destination = 'hs-b.test' AND edu_type = 'm.device_list_update' ORDER BY id`,
  );
  return rows.map((r) => JSON.parse(r.content_json) as Record<string, unknown>);
}

async function rename(d: Device, name: string): Promise<void> {
  const r = await t.a.req('PUT', `${V3}/devices/${enc(d.deviceId)}`, {
    token: d.token,
    body: { display_name: name },
  });
  expect(r.statusCode, r.body).toBe(200);
}

test('updates reach B in order, chained by prev_id, and B applies them without asking', async () => {
  const before = resyncs();
  const { stream_id: start } = await aliceOnA();
  await t.stopSenderOfA();
  await rename(t.alice, 'Laptop');
  const phone = await login(t.a, t.alice);
  await uploadOk(t.a, phone, { device_keys: signedDeviceKeys(phone) });
  const edus = await waitingUpdates();
  expect(edus.length).toBeGreaterThanOrEqual(2);
  edus.forEach((e, i) => {
    expect(e.user_id).toBe(ALICE);
    expect(e.stream_id).toBe(start + i + 1);
    expect(e.prev_id).toEqual([start + i]);
  });
  expect(edus[0]).toMatchObject({ device_id: t.alice.deviceId, device_display_name: 'Laptop' });
  expect(edus.at(-1)).toMatchObject({
    device_id: phone.deviceId,
    keys: { device_id: phone.deviceId },
  });
  expect(edus.at(-1)!.keys).not.toHaveProperty('unsigned');
  await t.startSenderOfA();

  const devices = await bHoldsAsA();
  expect(resyncs()).toBe(before);
  expect(devices.map((d) => d.device_id).sort()).toEqual([t.alice.deviceId, phone.deviceId].sort());
  expect(devices.find((d) => d.device_id === t.alice.deviceId)?.display_name).toBe('Laptop');
  expect(JSON.parse(devices.find((d) => d.device_id === phone.deviceId)!.keys_json!)).toMatchObject(
    {
      device_id: phone.deviceId,
    },
  );

  // A deleted device is announced as deleted, and B drops it.
  await deleteDevice(phone);
  expect((await bHoldsAsA()).map((d) => d.device_id)).toEqual([t.alice.deviceId]);
  expect(resyncs()).toBe(before);
});

test('a lost update makes B read the whole list again, at the stream id A gives', async () => {
  const before = resyncs();
  await t.stopSenderOfA();
  await rename(t.alice, 'Lost');
  await t.a.ctx.writer.transaction('test_lose_edus', async (tx) => {
    await tx.run(`DELETE FROM federation_outbox_edus WHERE edu_type = 'm.device_list_update'`);
  });
  await rename(t.alice, 'Desk');
  await t.startSenderOfA();
  const devices = await bHoldsAsA();
  expect(resyncs()).toBe(before + 1);
  expect(devices.find((d) => d.device_id === t.alice.deviceId)?.display_name).toBe('Desk');
});

test('bob of B sees alice in device_lists.changed when her devices change', async () => {
  const first = await sync(t.b, t.bob);
  await rename(t.alice, 'Again');
  await bHoldsAsA();
  const next = await sync(t.b, t.bob, first.next_batch);
  expect(next.device_lists?.changed).toContain(ALICE);
});

test('new cross-signing keys of alice reach B (m.signing_key_update) and show in its /keys/query', async () => {
  const master = newKey();
  const selfSigning = newKey();
  const masterKey = {
    user_id: ALICE,
    usage: ['master'],
    keys: { [master.keyId]: master.publicKeyBase64 },
  };
  const selfSigningKey = signAs(
    {
      user_id: ALICE,
      usage: ['self_signing'],
      keys: { [selfSigning.keyId]: selfSigning.publicKeyBase64 },
    },
    ALICE,
    master,
  );
  const r = await t.a.req('POST', `${V3}/keys/device_signing/upload`, {
    token: t.alice.token,
    body: { master_key: masterKey, self_signing_key: selfSigningKey },
  });
  expect(r.statusCode, r.body).toBe(200);
  const held = await until(async () => {
    const keys = await receiveStore.getRemoteCrossSigningKeys(t.b.ctx.db, ALICE);
    return keys.length === 2 ? keys : undefined;
  });
  expect(Object.fromEntries(held.map((k) => [k.key_type, JSON.parse(k.key_json)]))).toEqual({
    master: masterKey,
    self_signing: selfSigningKey,
  });
  const q = await t.b.req('POST', `${V3}/keys/query`, {
    token: t.bob.token,
    body: { device_keys: { [ALICE]: [] } },
  });
  expect(q.json().master_keys[ALICE]).toMatchObject(masterKey);
  expect(q.json().self_signing_keys[ALICE]).toMatchObject(selfSigningKey);
  // GET /user/devices carries them too (what a resync reads), never a user-signing key.
  const devices = await fedReq(t.b, t.a, `${FED}/user/devices/${enc(ALICE)}`);
  expect(devices.body.master_key).toEqual(masterKey);
  expect(devices.body.self_signing_key).toEqual(selfSigningKey);
  expect(devices.body.user_signing_key).toBeUndefined();
});

test("a user of a third server joining alice's room: A learns the user's devices at once", async () => {
  const c = await startFederatedServer('hs-c.test', ports);
  const sender = await startTestSender(c.ctx);
  try {
    const carol = await c.register('carol');
    await uploadOk(c, carol, { device_keys: signedDeviceKeys(carol) });
    const joined = await c.req('POST', `${V3}/join/${enc(t.roomId)}?server_name=hs-a.test`, {
      token: carol.token,
      body: {},
    });
    expect(joined.statusCode, joined.body).toBe(200);
    // C announced carol's devices to the room's servers; A, holding nothing, read them all.
    const devices = await until(async () => {
      const held = await receiveStore.getRemoteDeviceList(t.a.ctx.db, carol.userId);
      return held?.stale === 0 && receiveStore.listRemoteDevices(t.a.ctx.db, carol.userId);
    });
    expect(devices.map((d) => d.device_id)).toEqual([carol.deviceId]);
    expect(JSON.parse(devices[0]!.keys_json!)).toMatchObject({ device_id: carol.deviceId });
    expect(t.a.federation.sent.map((r) => r.path)).toContain(
      `${FED}/user/devices/${enc(carol.userId)}`,
    );
  } finally {
    await sender.stop();
    await c.close();
  }
});

test("once bob left, B no longer trusts what it held of alice's devices; after a rejoin it asks A", async () => {
  // What B asks A of alice's devices: a query, or a whole-list read (a resync).
  const asked = [`${FED}/user/keys/query`, `${FED}/user/devices/${enc(ALICE)}`];
  const queries = () => t.b.federation.sent.filter((r) => asked.includes(r.path)).length;
  const aliceQuery = async () => {
    const r = await t.b.req('POST', `${V3}/keys/query`, {
      token: t.bob.token,
      body: { device_keys: { [ALICE]: [] } },
    });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().device_keys[ALICE] as Record<
      string,
      { unsigned?: { device_display_name?: string } }
    >;
  };
  // While they share the room, B answers from what it holds.
  const before = queries();
  await aliceQuery();
  expect(queries()).toBe(before);

  const left = await t.b.req('POST', `${V3}/rooms/${enc(t.roomId)}/leave`, {
    token: t.bob.token,
    body: {},
  });
  expect(left.statusCode, left.body).toBe(200);
  expect(await receiveStore.getRemoteDeviceList(t.b.ctx.db, ALICE)).toMatchObject({ stale: 1 });
  // A no longer tells B; alice renames her device meanwhile.
  await until(async () => (await waitingUpdates()).length === 0);
  await rename(t.alice, 'While apart');
  const joined = await t.b.req('POST', `${V3}/join/${enc(t.roomId)}?server_name=hs-a.test`, {
    token: t.bob.token,
    body: {},
  });
  expect(joined.statusCode, joined.body).toBe(200);
  // B asks A again: at this query, or on the update A sends when bob's server joins again
  // (join-hook.ts), whichever comes first; either way the name is the new one.
  const devices = await aliceQuery();
  expect(queries()).toBeGreaterThan(before);
  expect(devices[t.alice.deviceId]?.unsigned?.device_display_name).toBe('While apart');
});

test("a user's stream ids survive a restart: the next update follows the last one", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-fedkeys-'));
  try {
    const config = { server_name: 'hs-r.test' };
    const first = await createTestServer(config, { dir });
    const carol = await first.register('carol');
    await uploadOk(first, carol, { device_keys: signedDeviceKeys(carol) });
    const renamed = await first.req('PUT', `${V3}/devices/${enc(carol.deviceId)}`, {
      token: carol.token,
      body: { display_name: 'Before' },
    });
    expect(renamed.statusCode).toBe(200);
    const before = (await queryUserDevices(first.ctx, carol.userId)).stream_id;
    expect(before).toBeGreaterThanOrEqual(2);
    await first.close();

    const again = await createTestServer(config, { dir });
    try {
      expect((await queryUserDevices(again.ctx, carol.userId)).stream_id).toBe(before);
      await again.req('PUT', `${V3}/devices/${enc(carol.deviceId)}`, {
        token: carol.token,
        body: { display_name: 'After' },
      });
      expect((await queryUserDevices(again.ctx, carol.userId)).stream_id).toBe(before + 1);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A cross-signing key pair, its key id `ed25519:<public key>`. */
function newKey(): SigningKey {
  const seed = randomBytes(32);
  return signingKeyFromSeed(signingKeyFromSeed('x', seed).publicKeyBase64, seed);
}

async function deleteDevice(d: Device): Promise<void> {
  const url = `${V3}/devices/${enc(d.deviceId)}`;
  const first = await t.a.req('DELETE', url, { token: t.alice.token, body: {} });
  expect(first.statusCode).toBe(401);
  const r = await t.a.req('DELETE', url, {
    token: t.alice.token,
    body: {
      auth: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: ALICE },
        password: PW,
        session: first.json().session,
      },
    },
  });
  expect(r.statusCode, r.body).toBe(200);
}
