import {
  ClientEvent,
  createClient,
  HttpApiEvent,
  SyncState,
  type MatrixClient,
} from 'matrix-js-sdk';
import type { Session } from '../shared/session';
import { cryptoCallbacks, setUpCrypto } from './crypto/setup';

/**
 * Builds the matrix-js-sdk client for a stored session. The client's events are the chat's
 * single source of truth; components read rooms from it and re-render on its events.
 * Local echoes stay in the timeline (the default "chronological" pending-event order).
 */
export function buildClient(session: Session): MatrixClient {
  return createClient({
    baseUrl: session.homeserverUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    // The timeline pages back through /context and /messages with TimelineWindow.
    timelineSupport: true,
    cryptoCallbacks,
  });
}

let warming: Promise<unknown> | null = null;

/**
 * Fetches and compiles the crypto wasm (5 MB) while the person is still typing their
 * password, so signing in does not wait for it; setUpCrypto then finds it ready. The
 * module keeps one instance, so doing this twice costs nothing.
 */
export function warmUpCrypto(): void {
  warming ??= import('@matrix-org/matrix-sdk-crypto-wasm')
    .then((m) => m.initAsync())
    .catch(() => undefined);
}

/**
 * Starts crypto, then sync, and resolves once the first sync has been processed (the room
 * list can be drawn), or rejects when the token turns out to be invalid.
 */
export async function startClient(client: MatrixClient): Promise<void> {
  await setUpCrypto(client);
  const ready = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync);
        client.off(HttpApiEvent.SessionLoggedOut, onLoggedOut);
        resolve();
      }
    };
    const onLoggedOut = (err: Error) => {
      client.off(ClientEvent.Sync, onSync);
      reject(err);
    };
    client.on(ClientEvent.Sync, onSync);
    client.once(HttpApiEvent.SessionLoggedOut, onLoggedOut);
  });
  // Members load when a room opens (lazy loading), which keeps the first sync small with
  // many rooms; a short initial timeline is enough for the list and the first screen (the
  // timeline pages back for more).
  await client.startClient({ lazyLoadMembers: true, initialSyncLimit: 10 });
  await ready;
}
