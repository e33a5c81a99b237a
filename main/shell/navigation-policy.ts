/**
 * Where the window may go. The window shows only the web app served by this machine's
 * homeserver; any other http(s) or mailto link opens in the system browser or mail app, and
 * everything else (file:, javascript:, custom schemes) is refused. Used for both
 * will-navigate and window.open (setWindowOpenHandler).
 */
export type NavigationVerdict = 'allow' | 'external' | 'deny';

export function navigationPolicy(target: string, appOrigin: string | null): NavigationVerdict {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'deny';
  }
  if (appOrigin && (url.protocol === 'http:' || url.protocol === 'https:')) {
    if (url.origin === appOrigin) return 'allow';
  }
  if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:') {
    return 'external';
  }
  return 'deny';
}

/**
 * Which permissions the web app may have: notifications (mentions and DMs), clipboard
 * writes (copy a recovery key), full-screen for media. Only for the app's own origin;
 * nothing for any other page (there should be none in the window).
 */
const ALLOWED = new Set(['notifications', 'clipboard-sanitized-write', 'fullscreen']);

export function permissionAllowed(
  permission: string,
  requestingUrl: string,
  appOrigin: string | null,
): boolean {
  if (!appOrigin) return false;
  try {
    if (new URL(requestingUrl).origin !== appOrigin) return false;
  } catch {
    return false;
  }
  return ALLOWED.has(permission);
}
