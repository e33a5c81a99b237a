import type { DesktopStatus } from './desktop-api.js';

/**
 * The tray (menu-bar) menu as plain data, built from the status: main/ turns it into an
 * Electron Menu. Kept free of Electron so it is tested under Node.
 */
export type TrayAction = 'open' | 'toggle-federation' | 'toggle-open-at-login' | 'retry' | 'quit';

export type TrayItem =
  | { kind: 'label'; label: string }
  | { kind: 'separator' }
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean }
  | { kind: 'checkbox'; action: TrayAction; label: string; checked: boolean; enabled: boolean };

/** One line for the tray's tooltip and the menu's first row. */
export function statusLine(status: DesktopStatus): string {
  const s = status.server;
  switch (s.status) {
    case 'running':
      return status.federationPaused
        ? 'Hearth is running (federation paused)'
        : 'Hearth is running';
    case 'starting':
      return 'Hearth is starting…';
    case 'restarting':
      return `Hearth stopped unexpectedly; restarting in ${Math.max(1, Math.ceil(s.inMs / 1000))} s`;
    case 'crashed':
      return 'Hearth has stopped: open it to see why';
    case 'stopping':
      return 'Hearth is stopping…';
    case 'stopped':
      return 'Hearth is stopped';
  }
}

export function trayMenu(status: DesktopStatus): TrayItem[] {
  const s = status.server.status;
  const items: TrayItem[] = [
    { kind: 'label', label: statusLine(status) },
    { kind: 'separator' },
    { kind: 'action', action: 'open', label: 'Open Hearth', enabled: true },
  ];
  if (s === 'crashed' || s === 'restarting') {
    items.push({ kind: 'action', action: 'retry', label: 'Try again now', enabled: true });
  }
  items.push(
    {
      kind: 'checkbox',
      action: 'toggle-federation',
      label: 'Pause federation',
      checked: status.federationPaused,
      // The choice is kept and applied at the next start when the server is not running.
      enabled: s !== 'stopping',
    },
    {
      kind: 'checkbox',
      action: 'toggle-open-at-login',
      label: 'Start Hearth at login',
      checked: status.openAtLogin,
      enabled: true,
    },
    { kind: 'separator' },
    { kind: 'action', action: 'quit', label: 'Quit Hearth', enabled: s !== 'stopping' },
  );
  return items;
}
