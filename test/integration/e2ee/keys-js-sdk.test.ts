import type * as sdk from 'matrix-js-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitForMembership, waitForMyMembership } from '../../helpers/js-sdk-clients.js';
import {
  CRYPTO_TIMEOUT_MS,
  createEncryptedRoom,
  cryptoOf,
  loginNewDevice,
  pollUntil,
  startCryptoClient,
  stopAll,
  type CryptoSession,
} from '../../helpers/js-sdk-crypto.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * Device keys and device lists as matrix-js-sdk 36 with its Rust crypto, unmodified, uses
 * them: its own key upload is accepted (device keys signed, one-time keys counted back in
 * /sync), it downloads another user's devices with /keys/query, and it learns of that user's
 * new and removed devices through /sync's device_lists alone.
 */

let s: ListeningTestServer;
let alice: sdk.MatrixClient;
let bob: sdk.MatrixClient;
let bobPhone: sdk.MatrixClient | undefined;
let bobSession: CryptoSession;

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await startCryptoClient(s, await s.register('alice'));
  bobSession = await s.register('bob');
  bob = await startCryptoClient(s, bobSession);
}, 60_000);
afterAll(async () => {
  stopAll([alice, bob, bobPhone]);
  await s?.close();
});

/** Bob's device ids as Alice's client knows them (without asking the server itself). */
async function bobDevicesSeenByAlice(): Promise<string[]> {
  const info = await cryptoOf(alice).getUserDeviceInfo([bob.getUserId()!], false);
  return [...(info.get(bob.getUserId()!)?.keys() ?? [])].sort();
}

test(
  "the SDK's upload is stored: its device keys, and its one-time keys counted in /sync",
  async () => {
    await pollUntil('bob uploading his keys', async () => {
      const r = await s.req('POST', '/_matrix/client/v3/keys/query', {
        token: bobSession.token,
        body: { device_keys: { [bobSession.userId]: [] } },
      });
      return r.json().device_keys[bobSession.userId]?.[bobSession.deviceId] !== undefined;
    });
    const sync = await s.req('GET', '/_matrix/client/v3/sync?timeout=0', {
      token: bobSession.token,
    });
    expect(sync.json().device_one_time_keys_count.signed_curve25519).toBeGreaterThan(0);
    expect(Array.isArray(sync.json().device_unused_fallback_key_types)).toBe(true);
  },
  CRYPTO_TIMEOUT_MS,
);

test(
  "alice's client downloads bob's device once they share an encrypted room",
  async () => {
    // The SDK tracks the device lists of the members of its encrypted rooms.
    const roomId = await createEncryptedRoom(alice, [bob.getUserId()!]);
    await waitForMyMembership(bob, roomId, 'invite');
    await bob.joinRoom(roomId);
    await waitForMembership(alice, roomId, bob.getUserId()!, 'join');
    const info = await cryptoOf(alice).getUserDeviceInfo([bob.getUserId()!], true);
    const device = info.get(bob.getUserId()!)?.get(bob.getDeviceId()!);
    expect(device?.getIdentityKey()).toBeTruthy();
    expect(device?.getFingerprint()).toBeTruthy();
  },
  CRYPTO_TIMEOUT_MS,
);

test(
  "bob's new device reaches alice's client through device_lists.changed",
  async () => {
    const phone = await loginNewDevice(s, bob.getUserId()!);
    bobPhone = await startCryptoClient(s, phone);
    const want = [bob.getDeviceId()!, phone.deviceId].sort();
    await pollUntil(
      "alice's client seeing bob's second device",
      async () => JSON.stringify(await bobDevicesSeenByAlice()) === JSON.stringify(want),
      CRYPTO_TIMEOUT_MS,
      async () => JSON.stringify(await bobDevicesSeenByAlice()),
    );
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "bob's device logged out leaves alice's client's list of his devices",
  async () => {
    bobPhone!.stopClient();
    await bobPhone!.logout(true);
    bobPhone = undefined;
    await pollUntil(
      "alice's client dropping bob's second device",
      async () =>
        JSON.stringify(await bobDevicesSeenByAlice()) === JSON.stringify([bob.getDeviceId()!]),
      CRYPTO_TIMEOUT_MS,
      async () => JSON.stringify(await bobDevicesSeenByAlice()),
    );
  },
  CRYPTO_TIMEOUT_MS * 2,
);
