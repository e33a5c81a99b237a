import type * as sdk from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitForMembership, waitForMyMembership } from '../../helpers/js-sdk-clients.js';
import {
  CRYPTO_TIMEOUT_MS,
  createEncryptedRoom,
  cryptoOf,
  loginNewDevice,
  passwordUia,
  pollUntil,
  sendText,
  startCryptoClient,
  stopAll,
  waitForDecryptedMessage,
  type CryptoSession,
} from '../../helpers/js-sdk-crypto.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * Dehydrated devices (MSC3814) as matrix-js-sdk 36 with Rust crypto uses them, unmodified:
 * alice's first device sets up cross-signing and secret storage and dehydrates a device
 * (PUT /dehydrated_device with its keys); bob, seeing that device among alice's, shares the
 * room key of a message with it while alice has no client running; alice's new device
 * rehydrates it (GET /dehydrated_device, POST .../events) and so gets the room key.
 */

let s: ListeningTestServer;
let aliceSession: CryptoSession;
let alice1: sdk.MatrixClient | undefined;
let alice2: sdk.MatrixClient | undefined;
let bob: sdk.MatrixClient;
let aliceId: string;
let roomId: string;
let dehydratedId: string;
/** Alice's secret storage key, as an app would hold it after asking her for it. */
let ssssKey: Uint8Array | undefined;

const cryptoCallbacks: sdk.ICreateClientOpts['cryptoCallbacks'] = {
  getSecretStorageKey: async ({ keys }) => {
    const keyId = Object.keys(keys)[0];
    return keyId !== undefined && ssssKey ? [keyId, ssssKey] : null;
  },
};

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  aliceSession = await s.register('alice');
  aliceId = aliceSession.userId;
  alice1 = await startCryptoClient(s, aliceSession, { cryptoCallbacks });
  bob = await startCryptoClient(s, await s.register('bob'));
}, 60_000);
afterAll(async () => {
  stopAll([alice1, alice2, bob]);
  await s?.close();
});

test(
  "alice's first device dehydrates a device: the server holds it, with its keys",
  async () => {
    const c = alice1!;
    const crypto = cryptoOf(c);
    roomId = await createEncryptedRoom(c, [bob.getUserId()!], 'Away');
    await waitForMyMembership(bob, roomId, 'invite');
    await bob.joinRoom(roomId);
    await waitForMembership(c, roomId, bob.getUserId()!, 'join');

    expect(await crypto.isDehydrationSupported()).toBe(true);
    await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(aliceId) });
    const recovery = await crypto.createRecoveryKeyFromPassphrase();
    ssssKey = recovery.privateKey;
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: async () => recovery,
      setupNewSecretStorage: true,
    });
    await pollUntil(
      'cross-signing and secret storage ready',
      async () => (await crypto.isCrossSigningReady()) && (await crypto.isSecretStorageReady()),
      CRYPTO_TIMEOUT_MS,
      async () =>
        `cross-signing ${await crypto.isCrossSigningReady()}, secret storage ${await crypto.isSecretStorageReady()}, ${JSON.stringify(await crypto.getCrossSigningStatus())}`,
    );
    const uploaded = new Promise<void>((resolve) =>
      c.once(CryptoEvent.DehydratedDeviceUploaded, () => resolve()),
    );
    await crypto.startDehydration({ createNewKey: true });
    await uploaded;

    const got = await s.req(
      'GET',
      '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device',
      { token: aliceSession.token },
    );
    expect(got.statusCode, got.body).toBe(200);
    dehydratedId = got.json().device_id as string;
    expect(got.json().device_data).toMatchObject({ algorithm: expect.any(String) });
    const keys = await s.req('POST', '/_matrix/client/v3/keys/query', {
      token: aliceSession.token,
      body: { device_keys: { [aliceId]: [dehydratedId] } },
    });
    expect(keys.json().device_keys[aliceId][dehydratedId]).toMatchObject({
      device_id: dehydratedId,
      dehydrated: true,
    });
  },
  CRYPTO_TIMEOUT_MS * 3,
);

test(
  "bob's message, sent while alice has no client, reaches her new device through the dehydrated one",
  async () => {
    // Bob's client learns of the dehydrated device (device_lists.changed, /keys/query).
    await pollUntil(
      "bob seeing alice's dehydrated device",
      async () => {
        const devices = await cryptoOf(bob).getUserDeviceInfo([aliceId], true);
        return devices.get(aliceId)?.has(dehydratedId) === true;
      },
      CRYPTO_TIMEOUT_MS,
    );
    alice1!.stopClient();
    await sendText(bob, roomId, 'while alice was away');
    // The room key went to the dehydrated device's inbox (an m.room.encrypted to-device).
    await pollUntil(
      'a to-device message for the dehydrated device',
      async () => {
        const r = await s.req(
          'POST',
          `/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device/${encodeURIComponent(dehydratedId)}/events`,
          { token: aliceSession.token, body: {} },
        );
        return (r.json().events as unknown[]).length > 0;
      },
      CRYPTO_TIMEOUT_MS,
    );

    const session = await loginNewDevice(s, aliceId);
    alice2 = await startCryptoClient(s, session, { cryptoCallbacks });
    const c = alice2;
    const crypto = cryptoOf(c);
    // The new device takes the cross-signing keys from secret storage (as "verify with
    // recovery key" does), which startDehydration requires. It can once its client has read
    // alice's public cross-signing keys (its own /keys/query, soon after its first sync).
    await pollUntil(
      'the new device importing the cross-signing keys from secret storage',
      async () => {
        try {
          await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(aliceId) });
          return await crypto.isCrossSigningReady();
        } catch {
          return false;
        }
      },
      CRYPTO_TIMEOUT_MS,
    );
    let roomKeys = 0;
    c.on(CryptoEvent.RehydrationProgress, (keys: number) => (roomKeys = keys));
    const completed = new Promise<void>((resolve, reject) => {
      c.once(CryptoEvent.RehydrationCompleted, () => resolve());
      c.once(CryptoEvent.RehydrationError, (msg: string) => reject(new Error(msg)));
    });
    await crypto.startDehydration();
    await completed;
    expect(roomKeys).toBeGreaterThanOrEqual(1);

    const msg = await waitForDecryptedMessage(c, roomId, 'while alice was away');
    expect(msg.getSender()).toBe(bob.getUserId());
    // startDehydration then made a new dehydrated device in place of the used one.
    await pollUntil(
      'a new dehydrated device',
      async () => {
        const r = await s.req(
          'GET',
          '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device',
          { token: aliceSession.token },
        );
        return r.statusCode === 200 && r.json().device_id !== dehydratedId;
      },
      CRYPTO_TIMEOUT_MS,
    );
  },
  CRYPTO_TIMEOUT_MS * 5,
);
