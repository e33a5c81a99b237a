// The Electron main process: the only file that loads electron at run time (everything it
// uses is a plain module tested under Node: supervisor/, shell/). It keeps the homeserver
// running in a utility process, owns the window and the tray, and relays a few commands.
// Electron cannot run on the development machines; see docs/desktop.md.
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  powerMonitor,
  session,
  shell,
  Tray,
  utilityProcess,
  type MenuItemConstructorOptions,
} from 'electron';
import { appDataDir, homeserverDir } from './supervisor/app-data.js';
import { ensureHomeserverConfig } from './supervisor/first-run.js';
import { Supervisor } from './supervisor/supervisor.js';
import { serverNodeFlags } from './supervisor/node-flags.js';
import { utilityProcessSpawner, type UtilityFork } from './supervisor/utility-process-spawner.js';
import { IPC, type DesktopStatus } from './shell/desktop-api.js';
import { loadDesktopSettings, saveDesktopSettings } from './shell/desktop-settings.js';
import { openLogFile } from './shell/log-file.js';
import { navigationPolicy, permissionAllowed } from './shell/navigation-policy.js';
import { statusPageUrl } from './shell/status-page.js';
import { trayMenu, statusLine, type TrayAction, type TrayItem } from './shell/tray-menu.js';
import { mainWindowOptions } from './shell/window-options.js';

if (!app.requestSingleInstanceLock()) {
  // Another Hearth owns the data folder and the ports: it shows its window instead.
  app.quit();
} else {
  run();
}

function run(): void {
  const appDir = appDataDir({
    platform: process.platform,
    env: process.env,
    home: app.getPath('home'),
  });
  app.setPath('userData', appDir);
  const dir = homeserverDir(appDir);
  const settings = loadDesktopSettings(appDir);
  const log = openLogFile(join(appDir, 'logs', 'homeserver.log'));

  const env: Record<string, string | undefined> = {
    ...process.env,
    HEARTH_DESKTOP: '1',
    HEARTH_FEDERATION_PAUSED: settings.federationPaused ? '1' : '0',
  };
  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;
  let appOrigin: string | null = null;
  let quitting = false;

  const { configPath } = ensureHomeserverConfig({ dir });
  const supervisor = new Supervisor({
    spawner: utilityProcessSpawner(utilityProcess.fork as unknown as UtilityFork),
    child: {
      modulePath: join(app.getAppPath(), 'bin', 'hearth.js'),
      execArgv: serverNodeFlags(app.getAppPath()),
      args: ['serve', '--config', configPath],
      cwd: dir,
      env,
    },
    onLine: (stream, line) => log.write(stream, line),
  });

  const status = (): DesktopStatus => ({
    server: supervisor.snapshot(),
    federationPaused: settings.federationPaused,
    openAtLogin: app.getLoginItemSettings().openAtLogin,
  });

  const showWindow = () => {
    if (!window) window = createWindow();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  const createWindow = (): BrowserWindow => {
    const w = new BrowserWindow(mainWindowOptions(join(__dirnameOf(), 'preload.cjs')));
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => (window = null));
    // Links leave the window for the system browser; the window never leaves the app.
    w.webContents.setWindowOpenHandler(({ url }) => {
      if (navigationPolicy(url, appOrigin) === 'external') void shell.openExternal(url);
      return { action: 'deny' };
    });
    w.webContents.on('will-navigate', (e, url) => {
      const verdict = navigationPolicy(url, appOrigin);
      if (verdict === 'allow') return;
      e.preventDefault();
      if (verdict === 'external') void shell.openExternal(url);
    });
    void w.loadURL(pageFor(supervisor.snapshot()));
    return w;
  };

  const pageFor = (s: ReturnType<Supervisor['snapshot']>) =>
    s.status === 'running' ? s.url : statusPageUrl(s);

  const applyTray = () => {
    if (!tray) return;
    const s = status();
    tray.setToolTip(statusLine(s));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenu(s).map(toMenuItem)));
  };

  const toMenuItem = (item: TrayItem): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'label':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: item.label, enabled: item.enabled, click: () => act(item.action) };
      case 'checkbox':
        return {
          label: item.label,
          type: 'checkbox',
          checked: item.checked,
          enabled: item.enabled,
          click: () => act(item.action),
        };
    }
  };

  const setFederationPaused = (paused: boolean) => {
    settings.federationPaused = paused;
    saveDesktopSettings(appDir, settings);
    env.HEARTH_FEDERATION_PAUSED = paused ? '1' : '0';
    supervisor.send({ type: 'federation', paused });
    broadcast();
  };

  const setOpenAtLogin = (open: boolean) => {
    app.setLoginItemSettings({ openAtLogin: open });
    broadcast();
  };

  const act = (action: TrayAction) => {
    if (action === 'open') showWindow();
    else if (action === 'retry') supervisor.retry();
    else if (action === 'toggle-federation') setFederationPaused(!settings.federationPaused);
    else if (action === 'toggle-open-at-login') setOpenAtLogin(!status().openAtLogin);
    else if (action === 'quit') app.quit();
  };

  const broadcast = () => {
    applyTray();
    window?.webContents.send(IPC.status, status());
  };

  let lastPage: string | null = null;
  supervisor.onState((s) => {
    if (s.status === 'running') appOrigin = new URL(s.url).origin;
    broadcast();
    // The window follows the server: the app while it runs, the status page otherwise.
    const page = s.status === 'running' ? s.url : s.status === 'stopping' ? null : 'status';
    if (window && page && page !== lastPage) {
      lastPage = page;
      void window.loadURL(pageFor(s));
    }
  });

  // Only the window's own pages may use the bridge.
  const fromApp = (e: Electron.IpcMainInvokeEvent | Electron.IpcMainEvent) => {
    const url = e.senderFrame?.url ?? '';
    return url.startsWith('data:text/html') || navigationPolicy(url, appOrigin) === 'allow';
  };
  ipcMain.handle(IPC.getStatus, (e) => (fromApp(e) ? status() : null));
  ipcMain.on(IPC.retry, (e) => {
    if (fromApp(e)) supervisor.retry();
  });
  ipcMain.handle(IPC.setFederationPaused, (e, paused: unknown) => {
    if (fromApp(e) && typeof paused === 'boolean') setFederationPaused(paused);
    return status();
  });
  ipcMain.handle(IPC.setOpenAtLogin, (e, open: unknown) => {
    if (fromApp(e) && typeof open === 'boolean') setOpenAtLogin(open);
    return status();
  });

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  // Closing the window leaves the homeserver running in the tray; Quit stops it.
  app.on('window-all-closed', () => {});
  powerMonitor.on('resume', () => supervisor.send({ type: 'resume' }));
  app.on('before-quit', (e) => {
    if (quitting) return;
    e.preventDefault();
    quitting = true;
    // Stop gracefully: the server flushes its writer and keeps unsent federation queued.
    void supervisor.stop().finally(() => {
      tray?.destroy();
      log.close();
      app.exit(0);
    });
  });

  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((wc, permission, callback) =>
      callback(permissionAllowed(permission, wc.getURL(), appOrigin)),
    );
    session.defaultSession.setPermissionCheckHandler((_wc, permission, origin) =>
      permissionAllowed(permission, origin, appOrigin),
    );
    const icon = nativeImage.createFromPath(join(app.getAppPath(), 'assets', 'tray.png'));
    tray = new Tray(icon);
    tray.on('click', showWindow);
    supervisor.start();
    applyTray();
    showWindow();
  });
}

/** dist/main/, where the bundle and its preload live. */
function __dirnameOf(): string {
  return new URL('.', import.meta.url).pathname;
}
