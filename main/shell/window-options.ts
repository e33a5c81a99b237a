/**
 * The main window's options: the web app runs as an ordinary web page, with context
 * isolation, the Chromium sandbox, no Node integration and web security on; the preload's
 * small API (desktop-api.ts) is the only bridge. Usable from 360 px wide, as the web app is.
 * Plain data, so the security settings are asserted by tests under Node.
 */
export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  autoHideMenuBar: boolean;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    spellcheck: boolean;
  };
}

export function mainWindowOptions(preloadPath: string): WindowOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 360,
    minHeight: 480,
    // Shown once the first page has painted, so the person never sees a white flash.
    show: false,
    title: 'Hearth',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: true,
    },
  };
}
