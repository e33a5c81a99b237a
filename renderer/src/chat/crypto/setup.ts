import type { MatrixClient } from 'matrix-js-sdk';
import type { CryptoCallbacks } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { SecretStorageKeyDescription } from 'matrix-js-sdk/lib/secret-storage.js';

/**
 * The Rust crypto (matrix-sdk-crypto-wasm) in the browser. matrix-js-sdk keeps the device's
 * keys in IndexedDB databases with fixed names (one set per origin, not per account), so this
 * module remembers whose device they belong to and starts afresh when someone else signs in.
 */

/** The IndexedDB databases the Rust crypto store uses (matrix-js-sdk's RUST_SDK_STORE_PREFIX). */
const STORE_DATABASES = [
  'matrix-js-sdk::matrix-sdk-crypto',
  'matrix-js-sdk::matrix-sdk-crypto-meta',
];
/** Which "user|device" the key store in IndexedDB belongs to. */
const OWNER_KEY = 'hearth.crypto-store-owner';

/**
 * The secret-storage (recovery) key while it is needed: set when the person creates or enters
 * their recovery key, read by the crypto stack each time it touches secret storage, and
 * forgotten when that operation ends. It never leaves memory.
 */
const keyCache = new Map<string, Uint8Array>();

/** Remembers a recovery key for the operation under way (see forgetSecretStorageKeys). */
export function rememberSecretStorageKey(keyId: string, key: Uint8Array): void {
  keyCache.set(keyId, key);
}

/** Forgets every recovery key held in memory. */
export function forgetSecretStorageKeys(): void {
  keyCache.clear();
}

/**
 * The callbacks matrix-js-sdk asks for secret-storage keys. The chat shell may pass this
 * object as `cryptoCallbacks` to createClient(); setUpCrypto installs the same functions
 * when it was not passed.
 */
export const cryptoCallbacks: CryptoCallbacks = {
  getSecretStorageKey: async ({ keys }: { keys: Record<string, SecretStorageKeyDescription> }) => {
    for (const keyId of Object.keys(keys)) {
      const key = keyCache.get(keyId);
      if (key) return [keyId, key];
    }
    return null;
  },
  cacheSecretStorageKey: (keyId: string, _info: SecretStorageKeyDescription, key: Uint8Array) => {
    keyCache.set(keyId, key);
  },
};

/**
 * Starts the Rust crypto (matrix-sdk-crypto-wasm) for a client, before client.startClient().
 * The wasm is fetched from /assets/ and compiled under the page's CSP ('wasm-unsafe-eval');
 * the device's keys live in IndexedDB, so a reload keeps them. Throws when the browser
 * cannot run it (no IndexedDB, no WebAssembly); the caller says so to the person.
 */
export async function setUpCrypto(client: MatrixClient): Promise<void> {
  installCallbacks(client);
  const owner = `${client.getUserId() ?? ''}|${client.getDeviceId() ?? ''}`;
  // A store left by another account or an older device of this one cannot be opened for
  // this device (the Rust store refuses a mismatched account); its keys are useless here.
  const previous = localStorage.getItem(OWNER_KEY);
  if (previous !== null && previous !== owner) await deleteStoreDatabases();
  try {
    try {
      await client.initRustCrypto({ useIndexedDB: true });
    } catch (err) {
      // Without a record of the owner (an older build, or storage cleared halfway), a
      // mismatched store shows up here: start with an empty one once.
      if (previous === owner || !/doesn't match|does not match/i.test(String(err))) throw err;
      await deleteStoreDatabases();
      await client.initRustCrypto({ useIndexedDB: true });
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Encryption could not start in this browser (${why}). It needs WebAssembly and site storage (IndexedDB); a private window may block them.`,
    );
  }
  localStorage.setItem(OWNER_KEY, owner);
}

/** Deletes this device's local key store (sign-out). */
export async function clearCryptoStore(userId: string): Promise<void> {
  const owner = localStorage.getItem(OWNER_KEY);
  // Only the signed-out account's store: the store is per origin, so check whose it is.
  if (owner !== null && !owner.startsWith(`${userId}|`)) return;
  forgetSecretStorageKeys();
  await deleteStoreDatabases();
  localStorage.removeItem(OWNER_KEY);
}

/**
 * matrix-js-sdk hands `cryptoCallbacks` to its secret storage when the client is made; a
 * client made without them got an empty object of its own. Fill in ours on both, so
 * recovery keys work whichever way the shell created the client.
 */
function installCallbacks(client: MatrixClient): void {
  const targets: Partial<CryptoCallbacks>[] = [client.cryptoCallbacks];
  const storage = client.secretStorage as unknown as { callbacks?: Partial<CryptoCallbacks> };
  if (storage.callbacks && storage.callbacks !== client.cryptoCallbacks) {
    targets.push(storage.callbacks);
  }
  for (const t of targets) {
    t.getSecretStorageKey ??= cryptoCallbacks.getSecretStorageKey;
    t.cacheSecretStorageKey ??= cryptoCallbacks.cacheSecretStorageKey;
  }
}

async function deleteStoreDatabases(): Promise<void> {
  await Promise.all(
    STORE_DATABASES.map(
      (name) =>
        new Promise<void>((resolve) => {
          const req = indexedDB.deleteDatabase(name);
          // A database still open elsewhere (another tab) blocks deletion until it closes;
          // failing to delete leaves the old store, which the next start reports.
          req.onsuccess = req.onerror = req.onblocked = () => resolve();
        }),
    ),
  );
}
