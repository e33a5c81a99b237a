import { useSyncExternalStore } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';

/**
 * Display names of the people in direct chats, read from their profiles once. A direct
 * chat is named after the other person, but the client may know only their user ID (the
 * invite carries no display name, or their member event was not loaded yet).
 */
const names = new Map<string, string | null>();
let version = 0;
const listeners = new Set<() => void>();

function changed() {
  version++;
  for (const l of listeners) l();
}

/** The cached display name, or undefined (a lookup starts, and listeners hear when it ends). */
export function cachedDisplayName(client: MatrixClient, userId: string): string | undefined {
  if (!names.has(userId)) {
    names.set(userId, null);
    client
      .getProfileInfo(userId, 'displayname')
      .then((p) => {
        if (p.displayname) {
          names.set(userId, p.displayname);
          changed();
        }
      })
      .catch(() => undefined);
  }
  return names.get(userId) ?? undefined;
}

/** A number that changes whenever a looked-up name arrives (a re-render signal). */
export function useProfileCacheVersion(): number {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => version,
  );
}
