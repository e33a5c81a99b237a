import * as sdk from 'matrix-js-sdk';
import { quietSdkLogger } from './js-sdk.js';
import type { ListeningTestServer } from './listen.js';

/** How long a wait for something a client should see may take before the test fails. */
export const SEE_TIMEOUT_MS = 8_000;

/**
 * A matrix-js-sdk client for an existing session on `s`, started and past its first sync
 * (SyncState.Prepared). The caller stops it (`stopClient`) when done.
 */
export async function startSdkClient(
  s: ListeningTestServer,
  session: { userId: string; token: string; deviceId: string },
): Promise<sdk.MatrixClient> {
  const c = sdk.createClient({
    baseUrl: s.baseUrl,
    logger: quietSdkLogger,
    userId: session.userId,
    accessToken: session.token,
    deviceId: session.deviceId,
  });
  const prepared = new Promise<void>((resolve, reject) => {
    c.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === sdk.SyncState.Prepared) resolve();
      if (state === sdk.SyncState.Error) reject(data?.error ?? new Error('sync error'));
    });
  });
  // A short long-poll keeps stopClient() from leaving a request open for long at the end.
  await c.startClient({ initialSyncLimit: 10, pollTimeout: 2000 });
  await prepared;
  return c;
}

/**
 * Resolves once `check()` holds for what the client knows, re-checking now and whenever the
 * client emits one of `events` or finishes a sync; rejects after `timeoutMs` naming `what`.
 * Checking the client's state (rather than catching one emitted event) cannot miss an event
 * that arrived before the wait began.
 */
export function waitUntil(
  c: sdk.MatrixClient,
  what: string,
  check: () => boolean,
  events: sdk.EmittedEvents[] = [],
  timeoutMs = SEE_TIMEOUT_MS,
): Promise<void> {
  const watched = [sdk.ClientEvent.Sync, ...events];
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      for (const e of watched) c.off(e, recheck);
    };
    function recheck(): void {
      let ok: boolean;
      try {
        ok = check();
      } catch (err) {
        stop();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (ok) {
        stop();
        resolve();
      }
    }
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${c.getUserId()} did not see ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    for (const e of watched) c.on(e, recheck);
    recheck();
  });
}

/** The m.room.message events of the client's live timeline for a room, oldest first. */
export function timelineMessages(c: sdk.MatrixClient, roomId: string): sdk.MatrixEvent[] {
  const room = c.getRoom(roomId);
  if (!room) return [];
  return room
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.getType() === sdk.EventType.RoomMessage);
}

/** Resolves once a message with `body` has come to the client through /sync (not a local echo). */
export function waitForMessage(
  c: sdk.MatrixClient,
  roomId: string,
  body: string,
  timeoutMs = SEE_TIMEOUT_MS,
): Promise<sdk.MatrixEvent> {
  let found: sdk.MatrixEvent | undefined;
  return waitUntil(
    c,
    `message "${body}" in ${roomId}`,
    () => {
      found = timelineMessages(c, roomId).find(
        (e) => e.getContent().body === body && !e.isSending(),
      );
      return found !== undefined;
    },
    [sdk.RoomEvent.Timeline, sdk.RoomEvent.LocalEchoUpdated],
    timeoutMs,
  ).then(() => found!);
}

/** Resolves once the client's own membership in the room is `membership`. */
export function waitForMyMembership(
  c: sdk.MatrixClient,
  roomId: string,
  membership: string,
  timeoutMs = SEE_TIMEOUT_MS,
): Promise<void> {
  return waitUntil(
    c,
    `own membership ${membership} in ${roomId}`,
    () => c.getRoom(roomId)?.getMyMembership() === membership,
    [sdk.RoomEvent.MyMembership],
    timeoutMs,
  );
}

/** Resolves once the client sees `userId`'s membership in the room as `membership`. */
export function waitForMembership(
  c: sdk.MatrixClient,
  roomId: string,
  userId: string,
  membership: string,
  timeoutMs = SEE_TIMEOUT_MS,
): Promise<void> {
  return waitUntil(
    c,
    `${userId}'s membership ${membership} in ${roomId}`,
    () => c.getRoom(roomId)?.getMember(userId)?.membership === membership,
    [sdk.RoomStateEvent.Members],
    timeoutMs,
  );
}
