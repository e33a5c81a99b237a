import * as sdk from 'matrix-js-sdk';
import { CrossSigningKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitForMembership, waitForMyMembership } from '../../helpers/js-sdk-clients.js';
import {
  CRYPTO_TIMEOUT_MS,
  createEncryptedRoom,
  cryptoOf,
  loginNewDevice,
  passwordUia,
  pollUntil,
  startCryptoClient,
  stopAll,
  verifyBySas,
  type CryptoSession,
} from '../../helpers/js-sdk-crypto.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * The fourth proof of issue 5: cross-signing as matrix-js-sdk 36 with Rust crypto does it.
 * Alice bootstraps cross-signing on her first device (POST /keys/device_signing/upload, which
 * needs no UIA the first time, then /keys/signatures/upload of her device's signature; a
 * reset, as carol's, needs the password through UIA); the keys are what
 * /keys/query serves to her and to bob. Her second device is verified by the first by
 * cross-signing it (crossSignDevice: /keys/signatures/upload), which every client then sees
 * through /keys/query after a device_lists change; her third device is verified
 * interactively (SAS emoji, the to-device m.key.verification.* flow), after which it trusts
 * its own identity and sees itself as cross-signing-verified.
 */

let s: ListeningTestServer;
let aliceSession: CryptoSession;
let alice1: sdk.MatrixClient;
let alice2: sdk.MatrixClient | undefined;
let alice3: sdk.MatrixClient | undefined;
let bob: sdk.MatrixClient;
let aliceId: string;

beforeAll(async () => {
  s = await listenTestServer();
  aliceSession = await s.register('alice');
  aliceId = aliceSession.userId;
  alice1 = await startCryptoClient(s, aliceSession);
  bob = await startCryptoClient(s, await s.register('bob'));
  // Bob shares an encrypted room with alice, so his client tracks her devices (a client
  // keeps the device lists of the members of its encrypted rooms, told of changes by /sync).
  const roomId = await createEncryptedRoom(alice1, [bob.getUserId()!], 'Shared');
  await waitForMyMembership(bob, roomId, 'invite');
  await bob.joinRoom(roomId);
  await waitForMembership(alice1, roomId, bob.getUserId()!, 'join');
}, 60_000);
afterAll(async () => {
  stopAll([alice1, alice2, alice3, bob]);
  await s?.close();
});

/** What `viewer` thinks of alice's device `deviceId` (for failure messages). */
async function statusText(viewer: sdk.MatrixClient, deviceId: string): Promise<string> {
  const st = await cryptoOf(viewer).getDeviceVerificationStatus(aliceId, deviceId);
  return st
    ? `signedByOwner ${st.signedByOwner}, crossSigningVerified ${st.crossSigningVerified}`
    : 'device unknown';
}

/** Resolves once `viewer` sees alice's device `deviceId` with `what` true. */
function waitForDeviceStatus(
  viewer: sdk.MatrixClient,
  deviceId: string,
  what: 'signedByOwner' | 'crossSigningVerified',
): Promise<void> {
  return pollUntil(
    `${viewer.getDeviceId()} seeing ${aliceId}/${deviceId} ${what}`,
    async () => {
      const st = await cryptoOf(viewer).getDeviceVerificationStatus(aliceId, deviceId);
      return st?.[what] === true;
    },
    CRYPTO_TIMEOUT_MS,
    () => statusText(viewer, deviceId),
  );
}

test(
  'alice bootstraps cross-signing (a first upload, which needs no UIA); her first device is cross-signed',
  async () => {
    const crypto = cryptoOf(alice1);
    expect(await crypto.isCrossSigningReady()).toBe(false);
    const steps: string[] = [];
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: passwordUia(aliceId, undefined, steps),
    });
    // Spec v1.11 (keys/device_signing/upload): no UIA when the user has no master key yet.
    expect(steps).toEqual(['accepted without auth']);
    expect(await crypto.isCrossSigningReady()).toBe(true);
    const status = await crypto.getCrossSigningStatus();
    expect(status.publicKeysOnDevice).toBe(true);
    expect(status.privateKeysCachedLocally).toEqual({
      masterKey: true,
      selfSigningKey: true,
      userSigningKey: true,
    });
    await waitForDeviceStatus(alice1, alice1.getDeviceId()!, 'crossSigningVerified');

    // The server's view (/keys/query as alice): her three keys, her device signed by the
    // self-signing key she uploaded.
    const res = await s.req('POST', '/_matrix/client/v3/keys/query', {
      token: aliceSession.token,
      body: { device_keys: { [aliceId]: [] } },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const masterId = await crypto.getCrossSigningKeyId();
    const selfSigningId = await crypto.getCrossSigningKeyId(CrossSigningKey.SelfSigning);
    expect(Object.values(body.master_keys[aliceId].keys)).toContain(masterId);
    expect(Object.values(body.self_signing_keys[aliceId].keys)).toContain(selfSigningId);
    expect(body.user_signing_keys[aliceId].user_id).toBe(aliceId);
    const deviceSigs = body.device_keys[aliceId][alice1.getDeviceId()!].signatures[aliceId];
    expect(deviceSigs[`ed25519:${selfSigningId}`]).toEqual(expect.any(String));
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  'replacing cross-signing keys needs the password (UIA): a wrong one is 401 M_FORBIDDEN and keeps the old keys, the right one replaces them',
  async () => {
    const session = await s.register('carol');
    const carol = await startCryptoClient(s, session);
    const masterKeyOnServer = async () => {
      const res = await s.req('POST', '/_matrix/client/v3/keys/query', {
        token: session.token,
        body: { device_keys: { [session.userId]: [] } },
      });
      expect(res.statusCode).toBe(200);
      return Object.values(res.json().master_keys?.[session.userId]?.keys ?? {})[0];
    };
    try {
      const crypto = cryptoOf(carol);
      const steps: string[] = [];
      await crypto.bootstrapCrossSigning({
        authUploadDeviceSigningKeys: passwordUia(session.userId, undefined, steps),
      });
      const first = await crypto.getCrossSigningKeyId();
      expect(await masterKeyOnServer()).toBe(first);

      // A reset (new keys) with a wrong password: refused, the server keeps the first keys.
      const wrong: string[] = [];
      const err = await crypto
        .bootstrapCrossSigning({
          setupNewCrossSigning: true,
          authUploadDeviceSigningKeys: passwordUia(session.userId, 'not the password', wrong),
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(wrong).toEqual(['401']);
      expect(err).toBeInstanceOf(sdk.MatrixError);
      expect((err as sdk.MatrixError).httpStatus).toBe(401);
      expect((err as sdk.MatrixError).errcode).toBe('M_FORBIDDEN');
      expect(await masterKeyOnServer()).toBe(first);

      // With the right password the new keys replace them.
      const right: string[] = [];
      await crypto.bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: passwordUia(session.userId, undefined, right),
      });
      expect(right).toEqual(['401', 'accepted with password']);
      const second = await crypto.getCrossSigningKeyId();
      expect(second).not.toBe(first);
      expect(await masterKeyOnServer()).toBe(second);
      expect(await crypto.isCrossSigningReady()).toBe(true);
    } finally {
      carol.stopClient();
    }
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "bob's client sees that alice has cross-signing keys and that her device is signed by them",
  async () => {
    await pollUntil("bob seeing alice's cross-signing keys", () =>
      cryptoOf(bob).userHasCrossSigningKeys(aliceId, true),
    );
    await cryptoOf(bob).getUserDeviceInfo([aliceId], true);
    await waitForDeviceStatus(bob, alice1.getDeviceId()!, 'signedByOwner');
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  'a second device of alice, cross-signed by the first: every client sees it signed, the first sees it verified',
  async () => {
    alice2 = await startCryptoClient(s, await loginNewDevice(s, aliceId));
    const device2 = alice2.getDeviceId()!;
    // The first device hears of the new one (device_lists.changed for alice) and queries it.
    await pollUntil(`${alice1.getDeviceId()} seeing the new device ${device2}`, async () => {
      const devices = await cryptoOf(alice1).getUserDeviceInfo([aliceId]);
      return devices.get(aliceId)?.has(device2) === true;
    });
    expect(await statusText(alice1, device2)).toBe(
      'signedByOwner false, crossSigningVerified false',
    );

    await cryptoOf(alice1).crossSignDevice(device2);

    await waitForDeviceStatus(alice1, device2, 'crossSigningVerified');
    await waitForDeviceStatus(alice2, device2, 'signedByOwner');
    await waitForDeviceStatus(bob, device2, 'signedByOwner');
  },
  CRYPTO_TIMEOUT_MS * 3,
);

test(
  'a third device verified interactively by the first (SAS emoji): it then trusts itself as cross-signed',
  async () => {
    const c3 = await startCryptoClient(s, await loginNewDevice(s, aliceId));
    alice3 = c3;
    const device3 = c3.getDeviceId()!;
    await pollUntil(`${alice1.getDeviceId()} seeing the new device ${device3}`, async () => {
      const devices = await cryptoOf(alice1).getUserDeviceInfo([aliceId]);
      return devices.get(aliceId)?.has(device3) === true;
    });
    // Before verification the new device does not trust alice's identity.
    expect(
      (await cryptoOf(c3).getDeviceVerificationStatus(aliceId, device3))?.crossSigningVerified,
    ).toBe(false);

    // The first device accepts the request (a to-device m.key.verification.request) and the
    // user compares the emoji on both screens.
    const emoji = await verifyBySas(alice1, () => cryptoOf(c3).requestOwnUserVerification());
    expect(emoji).toHaveLength(7);

    await waitForDeviceStatus(c3, device3, 'crossSigningVerified');
    await waitForDeviceStatus(alice1, device3, 'crossSigningVerified');
    expect((await cryptoOf(c3).getUserVerificationStatus(aliceId)).isCrossSigningVerified()).toBe(
      true,
    );
  },
  CRYPTO_TIMEOUT_MS * 4,
);
