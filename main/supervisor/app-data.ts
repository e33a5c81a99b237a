import { join, win32, posix } from 'node:path';

/**
 * Where the desktop app keeps the homeserver, per platform. It mirrors Electron's
 * app.getPath('userData') (appData + the app's name), so the headless runner and the
 * desktop app find the same folder:
 *
 * - macOS: ~/Library/Application Support/Hearth
 * - Windows: %APPDATA%\Hearth (falling back to ~\AppData\Roaming\Hearth)
 * - Linux and others: $XDG_CONFIG_HOME/Hearth, or ~/.config/Hearth
 *
 * Electron names that folder after package.json's productName, else its name ("hearth",
 * lower case), so main/ sets the path explicitly with app.setPath('userData', ...) from this
 * function rather than trusting the name.
 */
export function appDataDir(opts: {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
  appName?: string;
}): string {
  const name = opts.appName ?? 'Hearth';
  if (opts.platform === 'darwin') {
    return posix.join(opts.home, 'Library', 'Application Support', name);
  }
  if (opts.platform === 'win32') {
    return win32.join(opts.env.APPDATA || win32.join(opts.home, 'AppData', 'Roaming'), name);
  }
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = opts.env.XDG_CONFIG_HOME;
  const base = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(opts.home, '.config');
  return posix.join(base, name);
}

/**
 * The homeserver's own folder inside the app's folder: homeserver.yaml, the database, the
 * media store and the signing key. A subfolder, because Chromium fills userData with its own
 * folders (Cache, GPUCache, Local Storage) and a person backing up their homeserver should
 * find it whole in one place.
 */
export function homeserverDir(appDir: string): string {
  return join(appDir, 'homeserver');
}
