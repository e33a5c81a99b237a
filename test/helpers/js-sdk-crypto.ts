import * as sdk from 'matrix-js-sdk';
import {
  CryptoEvent,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type CryptoApi,
  type ShowSasCallbacks,
  type VerificationRequest,
  type Verifier,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import { quietSdkLogger } from './js-sdk.js';
import { waitUntil } from './js-sdk-clients.js';

/**
 * matrix-js-sdk 36 clients with its Rust crypto (matrix-sdk-crypto-wasm), unmodified, for the
 * end-to-end encryption proofs (issue 5). The crypto store is in memory
 * (`useIndexedDB: false`): Node has no IndexedDB, and a test's devices live only as long as
 * the test. Everything else is the SDK as an app uses it.
 */

/** The password test sessions are registered with (test/helpers/server.ts `register`). */
export const TEST_PASSWORD = 'correct horse battery staple';

/** How long a wait for something that crosses crypto (and maybe federation) may take. */
export const CRYPTO_TIMEOUT_MS = 20_000;

export interface CryptoSession {
  userId: string;
  token: string;
  deviceId: string;
}

/** Anything a client can reach over HTTP: a listening test server or a federated one. */
export interface ReachableServer {
  baseUrl: string;
}

/** The client's CryptoApi (initRustCrypto has run); throws if it has none. */
export function cryptoOf(c: sdk.MatrixClient): CryptoApi {
  const crypto = c.getCrypto();
  if (!crypto) throw new Error(`${c.getUserId()}/${c.getDeviceId()} has no crypto`);
  return crypto;
}

/**
 * A matrix-js-sdk client for an existing session, with Rust crypto initialised (which
 * uploads its device keys and one-time keys on the first sync) and started, past its first
 * sync (SyncState.Prepared). The caller stops it (`stopClient`) when done.
 */
export async function startCryptoClient(
  server: ReachableServer,
  session: CryptoSession,
  opts: { cryptoCallbacks?: sdk.ICreateClientOpts['cryptoCallbacks'] } = {},
): Promise<sdk.MatrixClient> {
  const c = sdk.createClient({
    baseUrl: server.baseUrl,
    logger: quietSdkLogger,
    userId: session.userId,
    accessToken: session.token,
    deviceId: session.deviceId,
    ...(opts.cryptoCallbacks ? { cryptoCallbacks: opts.cryptoCallbacks } : {}),
  });
  await c.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve, reject) => {
    c.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === sdk.SyncState.Prepared) resolve();
      if (state === sdk.SyncState.Error) reject(data?.error ?? new Error('sync error'));
    });
  });
  // A short long-poll keeps stopClient() from leaving a request open for long at the end.
  await c.startClient({ initialSyncLimit: 20, pollTimeout: 2000 });
  await prepared;
  return c;
}

/**
 * Logs `userId` in again with its password (POST /login), which makes a new device, as a
 * user signing in on a second computer does. Resolves with that device's session.
 */
export async function loginNewDevice(
  server: ReachableServer,
  userId: string,
  password = TEST_PASSWORD,
): Promise<CryptoSession> {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password,
    }),
  });
  const body = (await res.json()) as {
    user_id?: string;
    access_token?: string;
    device_id?: string;
  };
  if (res.status !== 200 || !body.access_token || !body.device_id || !body.user_id) {
    throw new Error(`login of ${userId} answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return { userId: body.user_id, token: body.access_token, deviceId: body.device_id };
}

/**
 * The UIA callback bootstrapCrossSigning (and resetEncryption) call to upload the
 * cross-signing keys: a first request without auth (the spec, since v1.11, lets the first
 * upload of a user's keys through without UIA), and on its 401 a second one completing
 * m.login.password in the session the 401 gave, as a client prompting for the password
 * does. `steps` (if given) records what happened: 'accepted without auth', '401',
 * 'accepted with password'.
 */
export function passwordUia(
  userId: string,
  password = TEST_PASSWORD,
  steps?: string[],
): sdk.UIAuthCallback<void> {
  return async (makeRequest) => {
    let session: string | undefined;
    try {
      await makeRequest(null);
      steps?.push('accepted without auth');
      return;
    } catch (err) {
      if (!(err instanceof sdk.MatrixError) || err.httpStatus !== 401) throw err;
      steps?.push('401');
      session = typeof err.data?.session === 'string' ? err.data.session : undefined;
    }
    await makeRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password,
      ...(session !== undefined ? { session } : {}),
    });
    steps?.push('accepted with password');
  };
}

/**
 * Creates a private room encrypted from its first event (m.room.encryption with
 * m.megolm.v1.aes-sha2 in initial_state, as Element does) and invites `invite`.
 */
export async function createEncryptedRoom(
  c: sdk.MatrixClient,
  invite: string[],
  name = 'Encrypted',
): Promise<string> {
  const { room_id: roomId } = await c.createRoom({
    name,
    preset: sdk.Preset.PrivateChat,
    invite,
    initial_state: [
      {
        type: 'm.room.encryption',
        state_key: '',
        content: { algorithm: 'm.megolm.v1.aes-sha2' },
      },
    ],
  });
  return roomId;
}

/** The events of the client's live timeline for a room that were sent encrypted. */
export function encryptedEvents(c: sdk.MatrixClient, roomId: string): sdk.MatrixEvent[] {
  const room = c.getRoom(roomId);
  if (!room) return [];
  return room
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.isEncrypted());
}

/**
 * Resolves with the event once the client holds, in the room's live timeline, an event that
 * came encrypted (m.room.encrypted on the wire) and that it decrypted to an m.room.message
 * with `body`. Rejects after `timeoutMs` naming what it saw instead (decryption failures by
 * reason), so a failing test says why.
 */
export async function waitForDecryptedMessage(
  c: sdk.MatrixClient,
  roomId: string,
  body: string,
  timeoutMs = CRYPTO_TIMEOUT_MS,
): Promise<sdk.MatrixEvent> {
  let found: sdk.MatrixEvent | undefined;
  try {
    await waitUntil(
      c,
      `decrypted message "${body}" in ${roomId}`,
      () => {
        found = encryptedEvents(c, roomId).find(
          (e) =>
            !e.isSending() &&
            !e.isDecryptionFailure() &&
            e.getType() === sdk.EventType.RoomMessage &&
            e.getContent().body === body,
        );
        return found !== undefined;
      },
      [sdk.RoomEvent.Timeline, sdk.MatrixEventEvent.Decrypted],
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; ${describeEncrypted(c, roomId)}`);
  }
  return found!;
}

/** What the client holds of the room's encrypted events, for failure messages. */
export function describeEncrypted(c: sdk.MatrixClient, roomId: string): string {
  const events = encryptedEvents(c, roomId);
  if (events.length === 0) return 'no encrypted events in its timeline';
  const parts = events.map((e) =>
    e.isDecryptionFailure()
      ? `undecryptable (${e.decryptionFailureReason ?? 'unknown reason'})`
      : e.isBeingDecrypted()
        ? 'being decrypted'
        : `${e.getType()} "${String(e.getContent().body ?? '')}"`,
  );
  return `its encrypted events: ${parts.join(', ')}`;
}

/**
 * Sends a text message through the SDK (which encrypts it for the room's members' devices
 * when the room is encrypted) and resolves once the server has it.
 */
export async function sendText(c: sdk.MatrixClient, roomId: string, body: string): Promise<string> {
  const { event_id: eventId } = await c.sendTextMessage(roomId, body);
  return eventId;
}

/** Stops every client given (ignoring ones never started). */
export function stopAll(clients: (sdk.MatrixClient | undefined)[]): void {
  for (const c of clients) c?.stopClient();
}

/**
 * Polls `check` (which may ask the SDK's crypto, which answers asynchronously) every 100 ms
 * until it resolves true; rejects after `timeoutMs` naming `what` and, when `describe` is
 * given, what it saw last.
 */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = CRYPTO_TIMEOUT_MS,
  describe?: () => Promise<string>,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) {
      const seen = describe ? `; last seen: ${await describe()}` : '';
      throw new Error(`${what} did not happen within ${timeoutMs} ms${seen}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The secret-storage keys a user "knows", as an app keeps them: cryptoCallbacks for
 * createClient that hand the SDK the key it asks for (getSecretStorageKey) and remember the
 * keys it creates (cacheSecretStorageKey). `add` is the user typing their recovery key.
 */
export function secretStorageKeychain(): {
  callbacks: NonNullable<sdk.ICreateClientOpts['cryptoCallbacks']>;
  add(keyId: string, key: Uint8Array): void;
} {
  const keys = new Map<string, Uint8Array>();
  return {
    callbacks: {
      getSecretStorageKey: async ({ keys: wanted }) => {
        for (const keyId of Object.keys(wanted)) {
          const key = keys.get(keyId);
          if (key) return [keyId, key];
        }
        return null;
      },
      cacheSecretStorageKey: (keyId, _info, key) => {
        keys.set(keyId, key);
      },
    },
    add(keyId, key) {
      keys.set(keyId, key);
    },
  };
}

/** Resolves once `req` has reached `phase`; rejects if it is cancelled first. */
export function waitForPhase(req: VerificationRequest, phase: VerificationPhase): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (req.phase === phase) {
        req.off(VerificationRequestEvent.Change, check);
        resolve();
      } else if (req.phase === VerificationPhase.Cancelled) {
        req.off(VerificationRequestEvent.Change, check);
        reject(new Error(`verification cancelled: ${req.cancellationCode}`));
      }
    };
    req.on(VerificationRequestEvent.Change, check);
    check();
  });
}

/**
 * An interactive SAS (emoji) verification as two people do it, every step a to-device
 * m.key.verification.* message through the server(s): `receiver` accepts the request when it
 * arrives, `start()` sends it (requestOwnUserVerification, requestDeviceVerification...), the
 * requester starts SAS, both sides show their emoji, the users see they match and confirm,
 * and both requests reach Done. Resolves with the emoji both sides showed (they must be
 * equal; a mismatch rejects).
 */
export async function verifyBySas(
  receiver: sdk.MatrixClient,
  start: () => Promise<VerificationRequest>,
): Promise<string[]> {
  const incoming = new Promise<VerificationRequest>((resolve) => {
    receiver.once(CryptoEvent.VerificationRequestReceived, (req) => resolve(req));
  });
  const outgoing = await start();
  const received = await incoming;
  await received.accept();
  await waitForPhase(outgoing, VerificationPhase.Ready);
  const requesterVerifier = await outgoing.startVerification('m.sas.v1');
  await waitForPhase(received, VerificationPhase.Started);
  const receiverVerifier = received.verifier!;
  const sasOf = (v: Verifier) =>
    new Promise<ShowSasCallbacks>((resolve) => {
      const ready = v.getShowSasCallbacks();
      if (ready) resolve(ready);
      else v.once(VerifierEvent.ShowSas, resolve);
    });
  const done = [requesterVerifier.verify(), receiverVerifier.verify()];
  const [a, b] = await Promise.all([sasOf(requesterVerifier), sasOf(receiverVerifier)]);
  const emoji = (s: ShowSasCallbacks) => (s.sas.emoji ?? []).map(([e]) => e);
  if (emoji(a).length !== 7 || emoji(a).join() !== emoji(b).join()) {
    a.mismatch();
    throw new Error(`the SAS emoji differ: ${emoji(a).join('')} / ${emoji(b).join('')}`);
  }
  await Promise.all([a.confirm(), b.confirm()]);
  await Promise.all(done);
  await Promise.all([
    waitForPhase(outgoing, VerificationPhase.Done),
    waitForPhase(received, VerificationPhase.Done),
  ]);
  return emoji(a);
}
