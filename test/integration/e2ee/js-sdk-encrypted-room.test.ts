import type * as sdk from 'matrix-js-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitForMembership, waitForMyMembership } from '../../helpers/js-sdk-clients.js';
import {
  CRYPTO_TIMEOUT_MS,
  createEncryptedRoom,
  cryptoOf,
  pollUntil,
  sendText,
  startCryptoClient,
  stopAll,
  waitForDecryptedMessage,
} from '../../helpers/js-sdk-crypto.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * The first proof of issue 5: two users of one Hearth chat in an encrypted room through
 * matrix-js-sdk 36 with its Rust crypto, unmodified. Everything the SDK needs from the server
 * is exercised on the way: /keys/upload (device and one-time keys), /keys/query (the other
 * user's devices), /keys/claim (a one-time key per device, for the Olm session),
 * /sendToDevice (the Megolm room key, Olm-encrypted) and /sync's to_device and
 * device_lists. The assertions are on what each client shows: the other's message, decrypted.
 */

let s: ListeningTestServer;
let alice: sdk.MatrixClient;
let bob: sdk.MatrixClient;
let roomId: string;

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  alice = await startCryptoClient(s, await s.register('alice'));
  bob = await startCryptoClient(s, await s.register('bob'));
}, 60_000);
afterAll(async () => {
  stopAll([alice, bob]);
  await s?.close();
});

test(
  'alice creates an encrypted room and bob joins it; both see it as encrypted',
  async () => {
    roomId = await createEncryptedRoom(alice, [bob.getUserId()!]);
    await waitForMyMembership(bob, roomId, 'invite');
    await bob.joinRoom(roomId);
    await waitForMembership(alice, roomId, bob.getUserId()!, 'join');
    expect(await cryptoOf(alice).isEncryptionEnabledInRoom(roomId)).toBe(true);
    // Bob's client learns it from his own /sync, which need not come before alice's.
    await waitForMyMembership(bob, roomId, 'join');
    await pollUntil("bob's client knowing the room is encrypted", () =>
      cryptoOf(bob).isEncryptionEnabledInRoom(roomId),
    );
  },
  CRYPTO_TIMEOUT_MS,
);

test(
  "alice's message reaches bob encrypted and bob decrypts it",
  async () => {
    const eventId = await sendText(alice, roomId, 'hello bob, this is secret');
    const seen = await waitForDecryptedMessage(bob, roomId, 'hello bob, this is secret');
    expect(seen.getId()).toBe(eventId);
    // On the wire it was m.room.encrypted with Megolm; the SDK decrypted it.
    expect(seen.getWireType()).toBe('m.room.encrypted');
    expect(seen.getWireContent().algorithm).toBe('m.megolm.v1.aes-sha2');
    expect(seen.getWireContent().body).toBeUndefined();
    expect(seen.getSender()).toBe(alice.getUserId());
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "bob's answer reaches alice encrypted and alice decrypts it",
  async () => {
    const eventId = await sendText(bob, roomId, 'hello alice, secret back');
    const seen = await waitForDecryptedMessage(alice, roomId, 'hello alice, secret back');
    expect(seen.getId()).toBe(eventId);
    expect(seen.getWireType()).toBe('m.room.encrypted');
    expect(seen.getSender()).toBe(bob.getUserId());
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  'a conversation of several messages both ways: each side decrypts every message of the other',
  async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const from = i % 2 === 0 ? alice : bob;
      const body = `turn ${i} from ${from.getUserId()}`;
      bodies.push(body);
      await sendText(from, roomId, body);
    }
    for (const [i, body] of bodies.entries()) {
      const to = i % 2 === 0 ? bob : alice;
      const seen = await waitForDecryptedMessage(to, roomId, body);
      expect(seen.getContent().body).toBe(body);
    }
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "each client knows the other's device keys as the server served them (/keys/query)",
  async () => {
    const devices = await cryptoOf(alice).getUserDeviceInfo([bob.getUserId()!], true);
    const bobDevices = devices.get(bob.getUserId()!);
    expect(bobDevices?.has(bob.getDeviceId()!)).toBe(true);
    const own = await cryptoOf(bob).getOwnDeviceKeys();
    expect(bobDevices?.get(bob.getDeviceId()!)?.getIdentityKey()).toBe(own.curve25519);
    expect(bobDevices?.get(bob.getDeviceId()!)?.getFingerprint()).toBe(own.ed25519);
  },
  CRYPTO_TIMEOUT_MS,
);
