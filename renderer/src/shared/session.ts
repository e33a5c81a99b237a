/**
 * The signed-in session, kept in localStorage so a reload stays signed in. The chat client
 * and the admin views share it: an admin signs in once.
 */
export interface Session {
  /** Base URL of the homeserver's client API (this page's origin for the built-in client). */
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

const KEY = 'hearth.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (s.userId && s.accessToken && s.deviceId && s.homeserverUrl) return s as Session;
  } catch {
    // A damaged entry is the same as none: the person signs in again.
  }
  return null;
}

export function saveSession(s: Session): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}
