import type * as sdk from 'matrix-js-sdk';
import { CryptoEvent, decodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitForMembership, waitForMyMembership } from '../../helpers/js-sdk-clients.js';
import {
  CRYPTO_TIMEOUT_MS,
  createEncryptedRoom,
  cryptoOf,
  loginNewDevice,
  passwordUia,
  pollUntil,
  secretStorageKeychain,
  sendText,
  startCryptoClient,
  stopAll,
  waitForDecryptedMessage,
  type CryptoSession,
} from '../../helpers/js-sdk-crypto.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * Dehydrated devices (MSC3814, unstable endpoints under
 * /_matrix/client/unstable/org.matrix.msc3814.v1) as matrix-js-sdk 36 with Rust crypto uses
 * them, unmodified: alice, with cross-signing and secret storage set up (a recovery key),
 * leaves a dehydrated device on the server and goes offline; bob's message to her is
 * encrypted for that device too (its keys are in /keys/query, a one-time key of it is
 * claimed, the room key waits in its to-device inbox); a new device of alice, given only the
 * recovery key, rehydrates it (reads those to-device messages through
 * POST .../dehydrated_device/{deviceId}/events) and decrypts bob's message.
 */

const MSC3814 = '/_matrix/client/unstable/org.matrix.msc3814.v1';

let s: ListeningTestServer;
let aliceSession: CryptoSession;
let alice1: sdk.MatrixClient;
let alice2: sdk.MatrixClient | undefined;
let bob: sdk.MatrixClient;
let roomId: string;
let recoveryKey: string;
let recoveryKeyId: string;
let dehydratedId: string;

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  aliceSession = await s.register('alice');
  alice1 = await startCryptoClient(s, aliceSession, {
    cryptoCallbacks: secretStorageKeychain().callbacks,
  });
  bob = await startCryptoClient(s, await s.register('bob'));
  roomId = await createEncryptedRoom(alice1, [bob.getUserId()!], 'While away');
  await waitForMyMembership(bob, roomId, 'invite');
  await bob.joinRoom(roomId);
  await waitForMembership(alice1, roomId, bob.getUserId()!, 'join');
}, 60_000);
afterAll(async () => {
  stopAll([alice1, alice2, bob]);
  await s?.close();
});

test(
  'alice sets up cross-signing and a recovery key, then leaves a dehydrated device on the server',
  async () => {
    const crypto = cryptoOf(alice1);
    await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(aliceId()) });
    const generated = await crypto.createRecoveryKeyFromPassphrase();
    recoveryKey = generated.encodedPrivateKey!;
    await crypto.bootstrapSecretStorage({ createSecretStorageKey: async () => generated });
    // The SDK reads secret storage from the account data /sync brought it: the keys it just
    // stored come back through the next sync.
    await pollUntil('secret storage ready (the stored secrets back through /sync)', () =>
      crypto.isSecretStorageReady(),
    );
    const keyRes = await s.req(
      'GET',
      `/_matrix/client/v3/user/${encodeURIComponent(aliceId())}/account_data/m.secret_storage.default_key`,
      { token: aliceSession.token },
    );
    recoveryKeyId = keyRes.json().key as string;

    // The server says it supports dehydration (GET dehydrated_device: 404 M_NOT_FOUND, not
    // M_UNRECOGNIZED), and then holds the device the SDK made.
    expect(await crypto.isDehydrationSupported()).toBe(true);
    const uploaded = new Promise<void>((resolve) =>
      alice1.once(CryptoEvent.DehydratedDeviceUploaded, () => resolve()),
    );
    await crypto.startDehydration();
    await uploaded;
    const res = await s.req('GET', `${MSC3814}/dehydrated_device`, { token: aliceSession.token });
    expect(res.statusCode).toBe(200);
    dehydratedId = res.json().device_id as string;
    expect(res.json().device_data).toEqual(expect.any(Object));
    expect(dehydratedId).not.toBe(alice1.getDeviceId());
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "bob's client sees the dehydrated device among alice's devices, cross-signed",
  async () => {
    await pollUntil("bob's client seeing alice's dehydrated device, signed by her", async () => {
      const devices = await cryptoOf(bob).getUserDeviceInfo([aliceId()], true);
      if (!devices.get(aliceId())?.has(dehydratedId)) return false;
      const st = await cryptoOf(bob).getDeviceVerificationStatus(aliceId(), dehydratedId);
      return st?.signedByOwner === true;
    });
    const device = (await cryptoOf(bob).getUserDeviceInfo([aliceId()])).get(aliceId())!;
    expect(device.get(dehydratedId)?.dehydrated).toBe(true);
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "alice goes offline; bob writes; alice's new device, given the recovery key, rehydrates and reads it",
  async () => {
    alice1.stopClient();
    await sendText(bob, roomId, 'written while you were away');

    const keychain = secretStorageKeychain();
    keychain.add(recoveryKeyId, decodeRecoveryKey(recoveryKey));
    const c = await startCryptoClient(s, await loginNewDevice(s, aliceId()), {
      cryptoCallbacks: keychain.callbacks,
    });
    alice2 = c;
    const crypto = cryptoOf(c);
    // "Verify with your recovery key": the cross-signing keys come out of secret storage,
    // once the device has her public ones (its first /keys/query of its own user).
    await pollUntil("the new device knowing alice's cross-signing public keys", async () => {
      return (await crypto.getCrossSigningStatus()).publicKeysOnDevice;
    });
    await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(aliceId()) });
    expect(await crypto.isCrossSigningReady()).toBe(true);

    const outcome = new Promise<string>((resolve) => {
      c.once(CryptoEvent.RehydrationCompleted, () => resolve('completed'));
      c.once(CryptoEvent.RehydrationError, (message: string) => resolve(`error: ${message}`));
    });
    await crypto.startDehydration();
    expect(await outcome).toBe('completed');
    await waitForDecryptedMessage(c, roomId, 'written while you were away');

    // A new dehydrated device replaces the old one.
    const res = await s.req('GET', `${MSC3814}/dehydrated_device`, { token: aliceSession.token });
    expect(res.statusCode).toBe(200);
    expect(res.json().device_id).not.toBe(dehydratedId);
  },
  CRYPTO_TIMEOUT_MS * 3,
);

function aliceId(): string {
  return aliceSession.userId;
}
