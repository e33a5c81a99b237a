import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import type { SigningKey } from '../../../server/core/signing.js';
import { removeDeviceSignatures } from '../../../server/e2ee/cross-signing/device-removal.js';
import {
  bootstrap,
  crossSigningKeyPair,
  csKey,
  errcodes,
  newCrossSigningKeys,
  uploadSignatures,
  uploadSignaturesOk,
  uploadWithPassword,
} from './cross-signing-fixtures.js';
import {
  deviceSigningKey,
  login,
  query,
  sharedRoom,
  signAs,
  signedDeviceKeys,
  sync,
  uploadOk,
  type Device,
} from './keys-fixtures.js';

/** POST /keys/signatures/upload (spec: cross_signing.yaml), seen through /keys/query. */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`sig${++n}`) as Promise<Device>;

/** A device with uploaded, self-signed device keys; returns them and the device's key. */
async function withDeviceKeys(d: Device) {
  const key = deviceSigningKey(d.deviceId);
  const dk = signedDeviceKeys(d, key);
  await uploadOk(s, d, { device_keys: dk });
  return { dk, key };
}

/** The device's keys as `viewer` reads them from /keys/query. */
async function deviceAsSeen(viewer: Device, d: Device) {
  const q = await query(s, viewer, { [d.userId]: [d.deviceId] });
  return q.device_keys[d.userId]?.[d.deviceId] as
    { signatures: Record<string, Record<string, string>> } | undefined;
}

function sigOf(obj: unknown, userId: string, key: SigningKey): string | undefined {
  return (obj as { signatures?: Record<string, Record<string, string>> }).signatures?.[userId]?.[
    key.keyId
  ];
}

describe("the self-signing key on the user's own devices", () => {
  it('is stored and shown in the device keys to the owner and to others', async () => {
    const alice = await user();
    const bob = await user();
    const { dk } = await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const signed = signAs(dk, alice.userId, keys.selfSigning);
    expect(
      await uploadSignaturesOk(s, alice, { [alice.userId]: { [alice.deviceId]: signed } }),
    ).toEqual({});

    for (const viewer of [alice, bob]) {
      const seen = await deviceAsSeen(viewer, alice);
      expect(sigOf(seen, alice.userId, keys.selfSigning)).toBe(
        sigOf(signed, alice.userId, keys.selfSigning),
      );
      // The device's own signature is kept beside it.
      expect(seen!.signatures[alice.userId]![`ed25519:${alice.deviceId}`]).toEqual(
        expect.any(String),
      );
    }
    // Uploading the same signature again is fine.
    expect(
      await uploadSignaturesOk(s, alice, { [alice.userId]: { [alice.deviceId]: signed } }),
    ).toEqual({});
  });

  it('puts the user in device_lists.changed of those who share a room', async () => {
    const alice = await user();
    const bob = await user();
    await sharedRoom(s, alice, bob);
    const { dk } = await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const since = (await sync(s, bob)).next_batch;
    const signed = signAs(dk, alice.userId, keys.selfSigning);
    await uploadSignaturesOk(s, alice, { [alice.userId]: { [alice.deviceId]: signed } });
    expect((await sync(s, bob, since)).device_lists?.changed).toContain(alice.userId);
  });

  it('goes away when the self-signing key is replaced', async () => {
    const alice = await user();
    const { dk } = await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const signed = signAs(dk, alice.userId, keys.selfSigning);
    await uploadSignaturesOk(s, alice, { [alice.userId]: { [alice.deviceId]: signed } });
    const ssk = csKey(alice.userId, 'self_signing', crossSigningKeyPair(), keys.master);
    const r = await uploadWithPassword(s, alice, { self_signing_key: ssk });
    expect(r.statusCode, r.body).toBe(200);
    expect(sigOf(await deviceAsSeen(alice, alice), alice.userId, keys.selfSigning)).toBeUndefined();
  });
});

describe('removeDeviceSignatures (for the device-removal path)', () => {
  it('drops the signatures on the removed devices only', async () => {
    const alice = await user();
    const alice2 = await login(s, alice);
    const { dk } = await withDeviceKeys(alice);
    const { dk: dk2 } = await withDeviceKeys(alice2);
    const keys = await bootstrap(s, alice);
    await uploadSignaturesOk(s, alice, {
      [alice.userId]: {
        [alice.deviceId]: signAs(dk, alice.userId, keys.selfSigning),
        [alice2.deviceId]: signAs(dk2, alice.userId, keys.selfSigning),
      },
    });
    await s.ctx.writer.transaction('test_remove_devices', (tx) =>
      removeDeviceSignatures(s.ctx, tx, alice.userId, [alice2.deviceId]),
    );
    expect(sigOf(await deviceAsSeen(alice, alice), alice.userId, keys.selfSigning)).toEqual(
      expect.any(String),
    );
    expect(
      sigOf(await deviceAsSeen(alice, alice2), alice.userId, keys.selfSigning),
    ).toBeUndefined();
  });
});

describe("the user's devices on their master key", () => {
  it('is shown on the master key to everyone', async () => {
    const alice = await user();
    const bob = await user();
    const { key } = await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const signed = signAs(keys.body.master_key!, alice.userId, key);
    const masterId = keys.master.publicKeyBase64;
    expect(await uploadSignaturesOk(s, alice, { [alice.userId]: { [masterId]: signed } })).toEqual(
      {},
    );
    for (const viewer of [alice, bob]) {
      const q = await query(s, viewer, { [alice.userId]: [] });
      expect(q.master_keys[alice.userId]).toEqual(signed);
    }
  });

  it('accepts the signatures it already holds sent back beside a new one', async () => {
    const alice = await user();
    const alice2 = await login(s, alice);
    const { key } = await withDeviceKeys(alice);
    const { key: key2 } = await withDeviceKeys(alice2);
    const keys = await bootstrap(s, alice);
    const masterId = keys.master.publicKeyBase64;
    const once = signAs(keys.body.master_key!, alice.userId, key);
    await uploadSignaturesOk(s, alice, { [alice.userId]: { [masterId]: once } });
    // The second device signs the key as it read it: with the first device's signature.
    const twice = signAs(once, alice.userId, key2);
    expect(await uploadSignaturesOk(s, alice2, { [alice.userId]: { [masterId]: twice } })).toEqual(
      {},
    );
    expect((await query(s, alice, { [alice.userId]: [] })).master_keys[alice.userId]).toEqual(
      twice,
    );
  });

  it('with both kinds in one request (as a client does after bootstrapping)', async () => {
    const alice = await user();
    const { dk, key } = await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const failures = await uploadSignaturesOk(s, alice, {
      [alice.userId]: {
        [alice.deviceId]: signAs(dk, alice.userId, keys.selfSigning),
        [keys.master.publicKeyBase64]: signAs(keys.body.master_key!, alice.userId, key),
      },
    });
    expect(failures).toEqual({});
    const q = await query(s, alice, { [alice.userId]: [] });
    expect(sigOf(q.master_keys[alice.userId], alice.userId, key)).toEqual(expect.any(String));
    expect(
      sigOf(q.device_keys[alice.userId]![alice.deviceId], alice.userId, keys.selfSigning),
    ).toEqual(expect.any(String));
  });
});

describe("the user-signing key on another user's master key", () => {
  it('is shown only to the signer', async () => {
    const alice = await user();
    const bob = await user();
    const carol = await user();
    const aliceKeys = await bootstrap(s, alice);
    const bobKeys = await bootstrap(s, bob);
    const signed = signAs(bobKeys.body.master_key!, alice.userId, aliceKeys.userSigning);
    expect(
      await uploadSignaturesOk(s, alice, {
        [bob.userId]: { [bobKeys.master.publicKeyBase64]: signed },
      }),
    ).toEqual({});

    const byAlice = await query(s, alice, { [bob.userId]: [] });
    expect(byAlice.master_keys[bob.userId]).toEqual(signed);
    for (const viewer of [bob, carol]) {
      const q = await query(s, viewer, { [bob.userId]: [] });
      expect(q.master_keys[bob.userId]).toEqual(bobKeys.body.master_key);
    }
  });

  it("goes away when the signed user's master key is replaced", async () => {
    const alice = await user();
    const bob = await user();
    const aliceKeys = await bootstrap(s, alice);
    const bobKeys = await bootstrap(s, bob);
    const signed = signAs(bobKeys.body.master_key!, alice.userId, aliceKeys.userSigning);
    await uploadSignaturesOk(s, alice, {
      [bob.userId]: { [bobKeys.master.publicKeyBase64]: signed },
    });
    const fresh = newCrossSigningKeys(bob.userId);
    expect((await uploadWithPassword(s, bob, fresh.body)).statusCode).toBe(200);
    const q = await query(s, alice, { [bob.userId]: [] });
    expect(q.master_keys[bob.userId]).toEqual(fresh.body.master_key);
  });
});

describe('failures, listed per key while the valid signatures are stored', () => {
  it('lists each bad signature and stores the good one of the same request', async () => {
    const alice = await user();
    const alice2 = await login(s, alice);
    const bob = await user();
    const noKeys = await user();
    const { dk } = await withDeviceKeys(alice);
    const { dk: dk2 } = await withDeviceKeys(alice2);
    const bobDevice = await withDeviceKeys(bob);
    const keys = await bootstrap(s, alice);
    const bobKeys = await bootstrap(s, bob);
    const stranger = crossSigningKeyPair();

    const forged = signAs(dk2, alice.userId, keys.selfSigning);
    (forged.signatures[alice.userId] as Record<string, string>)[keys.selfSigning.keyId] =
      'A'.repeat(86);
    const failures = await uploadSignaturesOk(s, alice, {
      [alice.userId]: {
        // good
        [alice.deviceId]: signAs(dk, alice.userId, keys.selfSigning),
        // a signature that does not verify
        [alice2.deviceId]: forged,
        // a device the user does not have
        NOSUCHDEVICE: signAs({ ...dk, device_id: 'NOSUCHDEVICE' }, alice.userId, keys.selfSigning),
      },
      [bob.userId]: {
        // bob's device rather than his master key
        [bob.deviceId]: signAs(bobDevice.dk, alice.userId, keys.userSigning),
        // his master key, but signed by a stranger key
        [bobKeys.master.publicKeyBase64]: signAs(bobKeys.body.master_key!, alice.userId, stranger),
      },
      // a user with no master key
      [noKeys.userId]: {
        SOMEKEY: signAs({ user_id: noKeys.userId }, alice.userId, keys.userSigning),
      },
    });
    expect(errcodes(failures)).toEqual({
      [alice.userId]: {
        [alice2.deviceId]: 'M_INVALID_SIGNATURE',
        NOSUCHDEVICE: 'M_NOT_FOUND',
      },
      [bob.userId]: {
        [bob.deviceId]: 'M_NOT_FOUND',
        [bobKeys.master.publicKeyBase64]: 'M_INVALID_SIGNATURE',
      },
      [noKeys.userId]: { SOMEKEY: 'M_NOT_FOUND' },
    });
    expect(failures[alice.userId]![alice2.deviceId]).toEqual({
      errcode: 'M_INVALID_SIGNATURE',
      error: expect.any(String),
    });

    const q = await query(s, bob, { [alice.userId]: [], [bob.userId]: [] });
    expect(
      sigOf(q.device_keys[alice.userId]![alice.deviceId], alice.userId, keys.selfSigning),
    ).toEqual(expect.any(String));
    expect(
      sigOf(q.device_keys[alice.userId]![alice2.deviceId], alice.userId, keys.selfSigning),
    ).toBeUndefined();
  });

  it('refuses a signed object that differs from the stored device keys', async () => {
    const alice = await user();
    const { dk } = await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const changed = signAs(
      { ...dk, algorithms: ['m.megolm.v1.aes-sha2'] },
      alice.userId,
      keys.selfSigning,
    );
    const failures = await uploadSignaturesOk(s, alice, {
      [alice.userId]: { [alice.deviceId]: changed },
    });
    expect(errcodes(failures)).toEqual({ [alice.userId]: { [alice.deviceId]: 'M_INVALID_PARAM' } });
  });

  it('lists everything when the signer has no cross-signing keys', async () => {
    const alice = await user();
    const bob = await user();
    const { dk, key } = await withDeviceKeys(alice);
    const bobKeys = await bootstrap(s, bob);
    const failures = await uploadSignaturesOk(s, alice, {
      [alice.userId]: { [alice.deviceId]: signAs(dk, alice.userId, key) },
      [bob.userId]: {
        [bobKeys.master.publicKeyBase64]: signAs(bobKeys.body.master_key!, alice.userId, key),
      },
    });
    expect(errcodes(failures)).toEqual({
      [alice.userId]: { [alice.deviceId]: 'M_NOT_FOUND' },
      [bob.userId]: { [bobKeys.master.publicKeyBase64]: 'M_NOT_FOUND' },
    });
  });

  it('refuses a master-key signature by a device the user does not have', async () => {
    const alice = await user();
    await withDeviceKeys(alice);
    const keys = await bootstrap(s, alice);
    const notMine = deviceSigningKey('OTHERDEVICE');
    const failures = await uploadSignaturesOk(s, alice, {
      [alice.userId]: {
        [keys.master.publicKeyBase64]: signAs(keys.body.master_key!, alice.userId, notMine),
      },
    });
    expect(errcodes(failures)).toEqual({
      [alice.userId]: { [keys.master.publicKeyBase64]: 'M_INVALID_SIGNATURE' },
    });
    const q = await query(s, alice, { [alice.userId]: [] });
    expect(q.master_keys[alice.userId]).toEqual(keys.body.master_key);
  });

  it('answers 400 M_BAD_JSON for a body that is not user -> key -> object', async () => {
    const alice = await user();
    for (const body of [
      { [alice.userId]: { X: 5 } },
      { [alice.userId]: [] },
      { [alice.userId]: 'x' },
    ]) {
      expectError(await uploadSignatures(s, alice, body), 400, 'M_BAD_JSON');
    }
  });

  it('answers an empty body with no failures', async () => {
    const alice = await user();
    expect(await uploadSignaturesOk(s, alice, {})).toEqual({});
  });
});
