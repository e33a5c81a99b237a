import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The shell's own settings, kept in the app-data folder (desktop.json) so they survive
 * restarts: whether federation is paused (passed to each homeserver start as
 * HEARTH_FEDERATION_PAUSED). Start-at-login is the OS's own setting, not kept here.
 */
export interface DesktopSettings {
  federationPaused: boolean;
}

const DEFAULTS: DesktopSettings = { federationPaused: false };

export function settingsPath(appDir: string): string {
  return join(appDir, 'desktop.json');
}

/** Reads the settings; a missing or damaged file gives the defaults. */
export function loadDesktopSettings(appDir: string): DesktopSettings {
  try {
    const raw = JSON.parse(readFileSync(settingsPath(appDir), 'utf8')) as Partial<DesktopSettings>;
    return {
      federationPaused:
        typeof raw.federationPaused === 'boolean'
          ? raw.federationPaused
          : DEFAULTS.federationPaused,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

/** Writes them atomically (a crash mid-write leaves the old file, never half of one). */
export function saveDesktopSettings(appDir: string, settings: DesktopSettings): void {
  const path = settingsPath(appDir);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
