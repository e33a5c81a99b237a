import type { SupervisorState } from '../supervisor/state.js';

/**
 * The whole API the preload exposes to the web app, as `window.hearthDesktop`: small and
 * typed, and nothing of Node or Electron (the renderer runs with context isolation, sandbox
 * and no node integration). The web app works the same without it (in a browser).
 */
export interface HearthDesktopApi {
  readonly platform: string;
  getStatus(): Promise<DesktopStatus>;
  /** Called with each new status; returns the unsubscribe function. */
  onStatus(listener: (status: DesktopStatus) => void): () => void;
  /** "Try again" after the homeserver stopped too often. */
  retry(): void;
  setFederationPaused(paused: boolean): Promise<DesktopStatus>;
  setOpenAtLogin(open: boolean): Promise<DesktopStatus>;
}

export interface DesktopStatus {
  server: SupervisorState;
  federationPaused: boolean;
  openAtLogin: boolean;
}

/** The IPC channel names between the preload and main (one place, both sides). */
export const IPC = {
  status: 'hearth:status',
  getStatus: 'hearth:get-status',
  retry: 'hearth:retry',
  setFederationPaused: 'hearth:set-federation-paused',
  setOpenAtLogin: 'hearth:set-open-at-login',
} as const;
