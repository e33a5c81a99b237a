import { api } from '../api';

/**
 * The client API's base URL. The homeserver serves this app, so it is this page's origin;
 * /.well-known/matrix/client may name a base URL with a path prefix (behind a reverse
 * proxy). A base URL on another origin is ignored: the page's CSP (connect-src 'self')
 * would block every request to it.
 */
export async function discoverHomeserver(): Promise<string> {
  const origin = window.location.origin;
  try {
    const wk = await api<{ 'm.homeserver'?: { base_url?: unknown } }>('/.well-known/matrix/client');
    const base = wk['m.homeserver']?.base_url;
    if (typeof base === 'string') {
      const url = new URL(base, origin);
      if (url.origin === origin) return url.href.replace(/\/+$/, '');
    }
  } catch {
    // No well-known (404) is the usual case for a personal server.
  }
  return origin;
}
