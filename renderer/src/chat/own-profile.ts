import { useEffect, useSyncExternalStore } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';

/**
 * The signed-in person's display name and avatar, shared by the sidebar and the settings.
 * With lazy-loaded members the client may hold no member event of the person's own, so the
 * profile is read from the server once and updated by the settings screen when changed.
 */
export interface OwnProfile {
  displayName: string | null;
  avatarUrl: string | null;
}

let current: OwnProfile = { displayName: null, avatarUrl: null };
let loadedFor: string | null = null;
const listeners = new Set<() => void>();

export function setOwnProfile(p: Partial<OwnProfile>): void {
  current = { ...current, ...p };
  for (const l of listeners) l();
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useOwnProfile(client: MatrixClient): OwnProfile {
  const userId = client.getSafeUserId();
  useEffect(() => {
    if (loadedFor === userId) return;
    loadedFor = userId;
    current = { displayName: null, avatarUrl: null };
    client
      .getProfileInfo(userId)
      .then((p) =>
        setOwnProfile({ displayName: p.displayname ?? null, avatarUrl: p.avatar_url ?? null }),
      )
      .catch(() => {
        loadedFor = null;
      });
  }, [client, userId]);
  return useSyncExternalStore(subscribe, () => current);
}
