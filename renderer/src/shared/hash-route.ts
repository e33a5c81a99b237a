import { useSyncExternalStore } from 'react';

/**
 * The app's location lives in the URL's hash (#/admin/users/@a:b), so the server serves
 * one page at / and any address can be bookmarked or reloaded. Segments are URI-decoded.
 */
export function parseHash(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function hashFor(segments: string[]): string {
  return '#/' + segments.map(encodeURIComponent).join('/');
}

export function navigate(segments: string[]): void {
  window.location.hash = hashFor(segments);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

let lastHash: string | null = null;
let lastRoute: string[] = [];
function snapshot(): string[] {
  if (window.location.hash !== lastHash) {
    lastHash = window.location.hash;
    lastRoute = parseHash(lastHash);
  }
  return lastRoute;
}

/** The current route's segments; re-renders when the hash changes. */
export function useHashRoute(): string[] {
  return useSyncExternalStore(subscribe, snapshot);
}
