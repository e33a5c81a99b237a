import type * as sdk from 'matrix-js-sdk';
import { decodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitForMembership, waitForMyMembership, waitUntil } from '../../helpers/js-sdk-clients.js';
import {
  CRYPTO_TIMEOUT_MS,
  createEncryptedRoom,
  cryptoOf,
  encryptedEvents,
  loginNewDevice,
  secretStorageKeychain,
  sendText,
  startCryptoClient,
  stopAll,
  waitForDecryptedMessage,
  type CryptoSession,
} from '../../helpers/js-sdk-crypto.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';

/**
 * The third proof of issue 5: server-side key backup (/room_keys/*) as matrix-js-sdk 36 with
 * Rust crypto uses it. Alice's first device holds the Megolm keys of an encrypted
 * conversation, makes a backup (POST /room_keys/version) and uploads its keys (PUT
 * /room_keys/keys); her new device, which was never sent those keys, cannot read the
 * history until it restores the backup (GET /room_keys/keys) with the backup decryption key,
 * and then decrypts both sides of the conversation. The first device is stopped before the
 * second starts, so the keys can only have come from the server's backup. Then the way Element
 * sets it up: the second device puts the backup key in secret storage (account data,
 * encrypted with a recovery key), and a third device given only the recovery key restores
 * the history.
 */

let s: ListeningTestServer;
let aliceSession: CryptoSession;
let alice1: sdk.MatrixClient;
let alice2: sdk.MatrixClient | undefined;
let alice3: sdk.MatrixClient | undefined;
let bob: sdk.MatrixClient;
let roomId: string;
let backupKey: Uint8Array;
let backupVersion: string;
/** The secret-storage keys of alice's second device (it makes her recovery key). */
const alice2Keychain = secretStorageKeychain();
let recoveryKey: string;
let recoveryKeyId: string;

const V3 = '/_matrix/client/v3';

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  aliceSession = await s.register('alice');
  alice1 = await startCryptoClient(s, aliceSession);
  bob = await startCryptoClient(s, await s.register('bob'));
}, 60_000);
afterAll(async () => {
  stopAll([alice1, alice2, alice3, bob]);
  await s?.close();
});

/** GET a client-server path with alice's first token (the server's view, as JSON). */
async function getAsAlice(
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await s.req('GET', `${V3}${path}`, { token: aliceSession.token });
  return { status: res.statusCode, body: res.json() };
}

/** How many sessions the server holds in backup `version`, over every room. */
async function sessionsInBackup(version: string): Promise<number> {
  const { status, body } = await getAsAlice(`/room_keys/keys?version=${version}`);
  if (status !== 200) return -1;
  const rooms = (body.rooms ?? {}) as Record<string, { sessions?: Record<string, unknown> }>;
  return Object.values(rooms).reduce((n, r) => n + Object.keys(r.sessions ?? {}).length, 0);
}

test(
  'alice and bob have an encrypted conversation that alice decrypts on her first device',
  async () => {
    roomId = await createEncryptedRoom(alice1, [bob.getUserId()!], 'History');
    await waitForMyMembership(bob, roomId, 'invite');
    await bob.joinRoom(roomId);
    await waitForMembership(alice1, roomId, bob.getUserId()!, 'join');
    await sendText(alice1, roomId, 'history from alice');
    await waitForDecryptedMessage(bob, roomId, 'history from alice');
    await sendText(bob, roomId, 'history from bob');
    await waitForDecryptedMessage(alice1, roomId, 'history from bob');
  },
  CRYPTO_TIMEOUT_MS * 3,
);

test(
  'alice makes a key backup; her device uploads both Megolm sessions to the server',
  async () => {
    const crypto = cryptoOf(alice1);
    await crypto.resetKeyBackup();
    // resetKeyBackup starts the check that enables the new backup without awaiting it; an
    // app awaits it as here (it reads GET /room_keys/version and checks its signature).
    const check = await crypto.checkKeyBackupAndEnable();
    expect(check?.trustInfo.trusted).toBe(true);
    const version = await crypto.getActiveSessionBackupVersion();
    expect(version).toBe(check?.backupInfo.version);
    expect(version).toEqual(expect.any(String));
    backupVersion = version!;

    // The server's view: the version is current, its algorithm as the SDK made it.
    const current = await getAsAlice('/room_keys/version');
    expect(current.status).toBe(200);
    expect(current.body.version).toBe(backupVersion);
    expect(current.body.algorithm).toBe('m.megolm_backup.v1.curve25519-aes-sha2');

    // Alice's outbound session and the one bob shared with her, both uploaded.
    const end = Date.now() + CRYPTO_TIMEOUT_MS;
    let count = 0;
    while (Date.now() < end && (count = await sessionsInBackup(backupVersion)) < 2) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(count).toBe(2);
    const after = await getAsAlice('/room_keys/version');
    expect(after.body.count).toBe(2);
    expect(after.body.etag).toEqual(expect.any(String));

    const key = await crypto.getSessionBackupPrivateKey();
    expect(key).toBeInstanceOf(Uint8Array);
    backupKey = key!;
  },
  CRYPTO_TIMEOUT_MS * 2,
);

test(
  "alice's new device cannot read the history until it restores the backup, then reads both sides",
  async () => {
    alice1.stopClient();
    alice2 = await startCryptoClient(s, await loginNewDevice(s, aliceSession.userId), {
      cryptoCallbacks: alice2Keychain.callbacks,
    });
    const c = alice2;
    // The history arrives in the new device's first sync, still encrypted: no keys for it.
    await waitUntil(
      c,
      'the two earlier messages, undecryptable',
      () => encryptedEvents(c, roomId).filter((e) => e.isDecryptionFailure()).length >= 2,
      [],
      CRYPTO_TIMEOUT_MS,
    );

    const crypto = cryptoOf(c);
    await crypto.storeSessionBackupPrivateKey(backupKey, backupVersion);
    const restored = await crypto.restoreKeyBackup();
    expect(restored).toEqual({ total: 2, imported: 2 });

    const fromAlice = await waitForDecryptedMessage(c, roomId, 'history from alice');
    const fromBob = await waitForDecryptedMessage(c, roomId, 'history from bob');
    expect(fromAlice.getSender()).toBe(aliceSession.userId);
    expect(fromBob.getSender()).toBe(bob.getUserId());
  },
  CRYPTO_TIMEOUT_MS * 3,
);

test(
  'alice sets up secure backup with a recovery key: the backup key goes to the server encrypted, in account data',
  async () => {
    const c = alice2!;
    const crypto = cryptoOf(c);
    const generated = await crypto.createRecoveryKeyFromPassphrase();
    recoveryKey = generated.encodedPrivateKey!;
    await crypto.bootstrapSecretStorage({ createSecretStorageKey: async () => generated });
    const accountData = async (type: string) =>
      s.req('GET', `${V3}/user/${encodeURIComponent(aliceSession.userId)}/account_data/${type}`, {
        token: aliceSession.token,
      });
    const defaultKey = await accountData('m.secret_storage.default_key');
    expect(defaultKey.statusCode).toBe(200);
    recoveryKeyId = defaultKey.json().key as string;
    expect((await accountData(`m.secret_storage.key.${recoveryKeyId}`)).statusCode).toBe(200);
    // The backup key, encrypted with the recovery key: nothing of it in clear.
    const stored = await accountData('m.megolm_backup.v1');
    expect(stored.statusCode).toBe(200);
    expect(Object.keys(stored.json().encrypted)).toEqual([recoveryKeyId]);
    expect(stored.body).not.toContain(Buffer.from(backupKey).toString('base64').slice(0, 20));
  },
  CRYPTO_TIMEOUT_MS,
);

test(
  'a further device with only the recovery key: it loads the backup key from secret storage and restores the history',
  async () => {
    alice2!.stopClient();
    const keychain = secretStorageKeychain();
    const c = await startCryptoClient(s, await loginNewDevice(s, aliceSession.userId), {
      cryptoCallbacks: keychain.callbacks,
    });
    alice3 = c;
    await waitUntil(
      c,
      'the two earlier messages, undecryptable',
      () => encryptedEvents(c, roomId).filter((e) => e.isDecryptionFailure()).length >= 2,
      [],
      CRYPTO_TIMEOUT_MS,
    );
    // The user types the recovery key.
    keychain.add(recoveryKeyId, decodeRecoveryKey(recoveryKey));
    const crypto = cryptoOf(c);
    await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    expect(await crypto.getSessionBackupPrivateKey()).toEqual(backupKey);
    const restored = await crypto.restoreKeyBackup();
    expect(restored).toEqual({ total: 2, imported: 2 });
    await waitForDecryptedMessage(c, roomId, 'history from alice');
    await waitForDecryptedMessage(c, roomId, 'history from bob');
  },
  CRYPTO_TIMEOUT_MS * 3,
);
