import type * as sdk from 'matrix-js-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FederationSender } from '../../../server/federation/sender/sender.js';
import {
  startFederatedServer,
  startTestSender,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
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
  verifyBySas,
  waitForDecryptedMessage,
} from '../../helpers/js-sdk-crypto.js';

/**
 * The second proof of issue 5: the same encrypted conversation as js-sdk-encrypted-room,
 * between a user of one Hearth (a.test) and a user of another (b.test), two real servers
 * federating over loopback HTTP with their outgoing queues running. Each server answers its
 * client for the other's user through federation: /keys/query -> POST
 * /_matrix/federation/v1/user/keys/query, /keys/claim -> /user/keys/claim, the room key
 * to-device message -> an m.direct_to_device EDU, the new member's devices ->
 * m.device_list_update. Then: bob's new device, announced to a.test by an
 * m.device_list_update, gets the room key; alice's cross-signing keys reach bob's client
 * through b.test; and alice and bob verify each other by SAS, every step a to-device message
 * crossing the servers. The clients are matrix-js-sdk 36 with Rust crypto, unmodified.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
const senders: FederationSender[] = [];
let alice: sdk.MatrixClient;
let bob: sdk.MatrixClient;
let roomId: string;
let bobToken: string;

beforeAll(async () => {
  a = await startFederatedServer('a.test', ports);
  b = await startFederatedServer('b.test', ports);
  for (const s of [a, b]) senders.push(await startTestSender(s.ctx));
  alice = await startCryptoClient(a, await a.register('alice'));
  const bobSession = await b.register('bob');
  bobToken = bobSession.token;
  bob = await startCryptoClient(b, bobSession);
}, 60_000);
afterAll(async () => {
  stopAll([alice, bob]);
  for (const s of senders) await s.stop();
  await b?.close();
  await a?.close();
});

test(
  'alice (a.test) creates an encrypted room, invites bob (b.test), bob joins through a.test',
  async () => {
    roomId = await createEncryptedRoom(alice, ['@bob:b.test'], 'Across servers');
    await waitForMyMembership(bob, roomId, 'invite', CRYPTO_TIMEOUT_MS);
    await bob.joinRoom(roomId, { viaServers: ['a.test'] });
    await waitForMembership(alice, roomId, '@bob:b.test', 'join', CRYPTO_TIMEOUT_MS);
    // Bob's client learns the room is encrypted from its own /sync (the room's state with
    // his join), which need not have come before alice's: b.test answers it once what it
    // read is on disk (sync/sync.ts).
    await waitForMyMembership(bob, roomId, 'join', CRYPTO_TIMEOUT_MS);
    await pollUntil("bob's client knowing the room is encrypted", () =>
      cryptoOf(bob).isEncryptionEnabledInRoom(roomId),
    );
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "alice's message crosses to b.test encrypted and bob decrypts it",
  async () => {
    const eventId = await sendText(alice, roomId, 'hello from a.test');
    const seen = await waitForDecryptedMessage(bob, roomId, 'hello from a.test');
    expect(seen.getId()).toBe(eventId);
    expect(seen.getWireType()).toBe('m.room.encrypted');
    expect(seen.getWireContent().algorithm).toBe('m.megolm.v1.aes-sha2');
    expect(seen.getSender()).toBe('@alice:a.test');
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "bob's answer crosses back encrypted and alice decrypts it",
  async () => {
    const eventId = await sendText(bob, roomId, 'hello from b.test');
    const seen = await waitForDecryptedMessage(alice, roomId, 'hello from b.test');
    expect(seen.getId()).toBe(eventId);
    expect(seen.getWireType()).toBe('m.room.encrypted');
    expect(seen.getSender()).toBe('@bob:b.test');
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  'more messages both ways: every one decrypted on the other server',
  async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const from = i % 2 === 0 ? alice : bob;
      const body = `federated turn ${i}`;
      bodies.push(body);
      await sendText(from, roomId, body);
    }
    await Promise.all(
      bodies.map((body, i) => waitForDecryptedMessage(i % 2 === 0 ? bob : alice, roomId, body)),
    );
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "alice's client knows bob's device keys as b.test serves them (federation /user/keys/query)",
  async () => {
    const devices = await cryptoOf(alice).getUserDeviceInfo(['@bob:b.test'], true);
    const own = await cryptoOf(bob).getOwnDeviceKeys();
    const device = devices.get('@bob:b.test')?.get(bob.getDeviceId()!);
    expect(device?.getIdentityKey()).toBe(own.curve25519);
    expect(device?.getFingerprint()).toBe(own.ed25519);
  },
  CRYPTO_TIMEOUT_MS,
);

test(
  "bob's new device on b.test reaches alice's client (m.device_list_update) and decrypts what alice sends next",
  async () => {
    const bob2 = await startCryptoClient(b, await loginNewDevice(b, '@bob:b.test'));
    try {
      const device2 = bob2.getDeviceId()!;
      // a.test hears of the new device from b.test and tells alice's client (device_lists
      // in /sync), which queries bob's devices again.
      await pollUntil(`alice's client knowing bob's new device ${device2}`, async () => {
        const devices = await cryptoOf(alice).getUserDeviceInfo(['@bob:b.test']);
        return devices.get('@bob:b.test')?.has(device2) === true;
      });
      await sendText(alice, roomId, 'for both of your devices');
      await waitForDecryptedMessage(bob2, roomId, 'for both of your devices');
      await waitForDecryptedMessage(bob, roomId, 'for both of your devices');
    } finally {
      bob2.stopClient();
    }
  },
  CRYPTO_TIMEOUT_MS * 3,
);

test(
  "alice's cross-signing keys, made on a.test, are what bob's client sees through b.test",
  async () => {
    await cryptoOf(alice).bootstrapCrossSigning({
      authUploadDeviceSigningKeys: passwordUia('@alice:a.test'),
    });
    const masterId = await cryptoOf(alice).getCrossSigningKeyId();
    await pollUntil("bob's client seeing alice's cross-signing keys", () =>
      cryptoOf(bob).userHasCrossSigningKeys('@alice:a.test', true),
    );
    // Her device, signed by her new self-signing key, as bob's client sees it.
    await pollUntil("bob's client seeing alice's device signed by her", async () => {
      const st = await cryptoOf(bob).getDeviceVerificationStatus(
        '@alice:a.test',
        alice.getDeviceId()!,
      );
      return st?.signedByOwner === true;
    });
    const identity = await masterKeyServedBy(b, '@alice:a.test');
    expect(identity).toBe(masterId);
  },
  CRYPTO_TIMEOUT_MS * 3,
);

/** The master key id b.test's /keys/query gives bob for `userId` (a remote user). */
async function masterKeyServedBy(s: FederatedTestServer, userId: string): Promise<unknown> {
  const res = await s.req('POST', '/_matrix/client/v3/keys/query', {
    token: bobToken,
    body: { device_keys: { [userId]: [] } },
  });
  expect(res.statusCode).toBe(200);
  return Object.values(res.json().master_keys?.[userId]?.keys ?? {})[0];
}

test(
  'alice verifies bob across the servers by SAS (to-device messages as EDUs both ways): each then sees the other verified',
  async () => {
    await cryptoOf(bob).bootstrapCrossSigning({
      authUploadDeviceSigningKeys: passwordUia('@bob:b.test'),
    });
    await pollUntil("alice's client seeing bob's cross-signing keys", () =>
      cryptoOf(alice).userHasCrossSigningKeys('@bob:b.test', true),
    );
    expect(
      (await cryptoOf(alice).getUserVerificationStatus('@bob:b.test')).isCrossSigningVerified(),
    ).toBe(false);

    const emoji = await verifyBySas(bob, () =>
      cryptoOf(alice).requestDeviceVerification('@bob:b.test', bob.getDeviceId()!),
    );
    expect(emoji).toHaveLength(7);

    // Each signed the other's master key with their user-signing key (/keys/signatures/upload).
    await pollUntil("alice's client seeing bob as verified", async () =>
      (await cryptoOf(alice).getUserVerificationStatus('@bob:b.test')).isCrossSigningVerified(),
    );
    await pollUntil("bob's client seeing alice as verified", async () =>
      (await cryptoOf(bob).getUserVerificationStatus('@alice:a.test')).isCrossSigningVerified(),
    );
    const device = await cryptoOf(alice).getDeviceVerificationStatus(
      '@bob:b.test',
      bob.getDeviceId()!,
    );
    expect(device?.isVerified()).toBe(true);
  },
  CRYPTO_TIMEOUT_MS * 3,
);
