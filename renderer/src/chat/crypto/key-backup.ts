import { MatrixError, type MatrixClient } from 'matrix-js-sdk';
import {
  decodeRecoveryKey,
  type CryptoApi,
  type GeneratedSecretStorageKey,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { UIAuthCallback } from 'matrix-js-sdk/lib/interactive-auth.js';
import type { SecretStorageKeyDescriptionAesV1 } from 'matrix-js-sdk/lib/secret-storage.js';
import { forgetSecretStorageKeys, rememberSecretStorageKey } from './setup';

/**
 * Key backup with a recovery key: set it up on the first device, restore it on the next.
 * The recovery key is the secret-storage key (spec: "Secret storage"); secret storage holds
 * the cross-signing keys and the key-backup key, so one recovery key both verifies a new
 * device and lets it read old messages.
 */

/** An error whose message is meant for the person (the UI shows it as is). */
export class KeyBackupError extends Error {}

/** What this device and the account have, for the Security settings. */
export interface SecurityStatus {
  deviceId: string;
  /** This device's Ed25519 key, in groups of four, to compare with another device. */
  fingerprint: string;
  /** This device is signed by the account's cross-signing identity. */
  deviceVerified: boolean;
  /** The account has a recovery key (default secret-storage key). */
  hasRecoveryKey: boolean;
  /** The server holds a key backup; its version. */
  backupVersion: string | null;
  /** How many keys the server's backup holds. */
  backupCount: number | null;
  /** This device is uploading its keys to that backup. */
  backingUpHere: boolean;
}

export function cryptoOf(client: MatrixClient): CryptoApi {
  const crypto = client.getCrypto();
  if (!crypto)
    throw new KeyBackupError('Encryption is not running on this device. Reload the page.');
  return crypto;
}

/** Reads the state shown in the Security settings (asks the server for the backup). */
export async function loadSecurityStatus(client: MatrixClient): Promise<SecurityStatus> {
  const crypto = cryptoOf(client);
  const userId = client.getSafeUserId();
  const deviceId = client.getDeviceId() ?? '';
  const [keys, verification, defaultKey, backup, active] = await Promise.all([
    crypto.getOwnDeviceKeys(),
    crypto.getDeviceVerificationStatus(userId, deviceId),
    client.secretStorage.getDefaultKeyId(),
    crypto.getKeyBackupInfo(),
    crypto.getActiveSessionBackupVersion(),
  ]);
  return {
    deviceId,
    fingerprint: (keys.ed25519.match(/.{1,4}/g) ?? []).join(' '),
    deviceVerified: verification?.crossSigningVerified ?? false,
    hasRecoveryKey: defaultKey !== null,
    backupVersion: backup?.version ?? null,
    backupCount: backup?.count ?? null,
    backingUpHere: active !== null && active === (backup?.version ?? null),
  };
}

/** A new random recovery key (not stored anywhere until setUpKeyBackup). */
export function generateRecoveryKey(client: MatrixClient): Promise<GeneratedSecretStorageKey> {
  return cryptoOf(client).createRecoveryKeyFromPassphrase();
}

/**
 * Asked for the account password when the server wants user-interactive auth. Resolves
 * with the password, or rejects when the person cancels. `retry` says the last one was wrong.
 */
export type AskPassword = (retry: boolean) => Promise<string>;

/**
 * Makes this device the keeper of the account's keys: cross-signing identity (new only if
 * the account has none, or `reset`), secret storage under `recoveryKey`, and a new key
 * backup. Uploading cross-signing keys needs the password when the account already has
 * some (MSC3967): `askPassword` is called then.
 */
export async function setUpKeyBackup(
  client: MatrixClient,
  recoveryKey: GeneratedSecretStorageKey,
  askPassword: AskPassword,
  reset = false,
): Promise<void> {
  const crypto = cryptoOf(client);
  const auth = passwordAuth(client.getSafeUserId(), askPassword);
  try {
    if (reset) {
      // The old recovery key is lost: new secret storage first, so the new identity's
      // private keys are stored under the new key as they are made, then a backup signed
      // by the new identity.
      await crypto.bootstrapSecretStorage({
        createSecretStorageKey: async () => recoveryKey,
        setupNewSecretStorage: true,
      });
      await crypto.bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: auth,
      });
      await crypto.resetKeyBackup();
    } else {
      // Keep the account's identity when this device has it, else create the first one;
      // then store it and a new backup's key under the new recovery key. (With the
      // identity here, bootstrapCrossSigning would read the old secret storage, whose
      // key we do not hold: skip it.)
      const { publicKeysOnDevice, privateKeysCachedLocally: cached } =
        await crypto.getCrossSigningStatus();
      const haveIdentity =
        publicKeysOnDevice && cached.masterKey && cached.selfSigningKey && cached.userSigningKey;
      if (!haveIdentity) await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: auth });
      await crypto.bootstrapSecretStorage({
        createSecretStorageKey: async () => recoveryKey,
        setupNewSecretStorage: true,
        setupNewKeyBackup: true,
      });
    }
  } finally {
    forgetSecretStorageKeys();
  }
}

export interface RestoreProgress {
  stage: 'checking' | 'verifying' | 'fetching' | 'importing';
  done?: number;
  total?: number;
}

/**
 * Uses a recovery key on this device: checks it against the account's, verifies this
 * device with the cross-signing keys from secret storage, and restores the key backup so
 * older messages decrypt. Returns how many message keys were restored. Throws
 * KeyBackupError for a key that is malformed or not the account's.
 */
export async function restoreWithRecoveryKey(
  client: MatrixClient,
  typed: string,
  onProgress: (p: RestoreProgress) => void,
): Promise<number> {
  const crypto = cryptoOf(client);
  onProgress({ stage: 'checking' });
  let key: Uint8Array;
  try {
    key = decodeRecoveryKey(typed.trim());
  } catch {
    throw new KeyBackupError(
      'That is not a recovery key. It is 48 letters and digits in groups of four, starting with "E".',
    );
  }
  const current = await client.secretStorage.getKey();
  if (!current) {
    throw new KeyBackupError('Your account has no recovery key yet. Set up key backup first.');
  }
  const [keyId, info] = current;
  if (!(await client.secretStorage.checkKey(key, info as SecretStorageKeyDescriptionAesV1))) {
    throw new KeyBackupError(
      'That recovery key does not match your account. Check it, or use the newest one you saved.',
    );
  }
  rememberSecretStorageKey(keyId, key);
  try {
    onProgress({ stage: 'verifying' });
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async () => {
        throw new KeyBackupError('Your account’s identity keys are missing from secret storage.');
      },
    });
    const backup = await crypto.getKeyBackupInfo();
    if (!backup?.version) return 0;
    onProgress({ stage: 'fetching' });
    await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    await crypto.checkKeyBackupAndEnable();
    const result = await crypto.restoreKeyBackup({
      progressCallback: (p) => {
        if (p.stage === 'load_keys') {
          onProgress({
            stage: 'importing',
            done: (p.successes ?? 0) + (p.failures ?? 0),
            total: p.total,
          });
        }
      },
    });
    return result.imported;
  } finally {
    forgetSecretStorageKeys();
  }
}

/** The UIA callback for the cross-signing upload: try without auth, then with the password. */
function passwordAuth(userId: string, askPassword: AskPassword): UIAuthCallback<void> {
  return async (makeRequest) => {
    let session: string | undefined;
    try {
      await makeRequest(null);
      return;
    } catch (err) {
      const uia = uiaSession(err);
      if (uia === false) throw err;
      session = uia;
    }
    let retry = false;
    for (;;) {
      const password = await askPassword(retry);
      try {
        await makeRequest({
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: userId },
          password,
          session,
        });
        return;
      } catch (err) {
        const uia = uiaSession(err);
        if (uia === false) throw err;
        session = uia ?? session;
        retry = true;
      }
    }
  };
}

/** For a 401 that asks for (more) auth: its session id; false for any other error. */
function uiaSession(err: unknown): string | undefined | false {
  if (!(err instanceof MatrixError) || err.httpStatus !== 401) return false;
  const flows = err.data.flows;
  if (!Array.isArray(flows)) return false;
  return typeof err.data.session === 'string' ? err.data.session : undefined;
}
