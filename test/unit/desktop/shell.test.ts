import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { DesktopStatus } from '../../../main/shell/desktop-api.js';
import {
  loadDesktopSettings,
  saveDesktopSettings,
  settingsPath,
} from '../../../main/shell/desktop-settings.js';
import { navigationPolicy, permissionAllowed } from '../../../main/shell/navigation-policy.js';
import { statusPageHtml, statusPageUrl } from '../../../main/shell/status-page.js';
import { statusLine, trayMenu } from '../../../main/shell/tray-menu.js';
import { mainWindowOptions } from '../../../main/shell/window-options.js';
import type { SupervisorState } from '../../../main/supervisor/state.js';

/** The Electron shell's decisions, as plain modules (Electron cannot run here). */

const APP = 'http://127.0.0.1:8008';
const running: SupervisorState = { status: 'running', pid: 1, url: `${APP}/`, since: 0 };
const crashed: SupervisorState = {
  status: 'crashed',
  crash: {
    message: 'Hearth stopped 5 times in 5 minutes; the last time: exit code 1.',
    exits: [],
    stderrTail: ['Error: listen EADDRINUSE 0.0.0.0:8008', '<script>alert(1)</script>'],
  },
};
const status = (server: SupervisorState, federationPaused = false): DesktopStatus => ({
  server,
  federationPaused,
  openAtLogin: false,
});

describe('window', () => {
  test('the web app runs isolated: sandbox, context isolation, no Node, web security', () => {
    const o = mainWindowOptions('/app/dist/main/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/dist/main/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(o.minWidth).toBeLessThanOrEqual(360);
    expect(o.show).toBe(false);
  });

  test('the window stays on the app; other web links open in the system browser', () => {
    expect(navigationPolicy(`${APP}/#/room/!a:b`, APP)).toBe('allow');
    expect(navigationPolicy('https://matrix.org/docs', APP)).toBe('external');
    expect(navigationPolicy('mailto:someone@example.org', APP)).toBe('external');
    // Same host, other port: another origin.
    expect(navigationPolicy('http://127.0.0.1:9000/', APP)).toBe('external');
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/x', 'not a url']) {
      expect(navigationPolicy(bad, APP)).toBe('deny');
    }
    // Before the server runs, nothing is the app.
    expect(navigationPolicy(`${APP}/`, null)).toBe('external');
  });

  test('permissions: notifications and clipboard for the app only', () => {
    expect(permissionAllowed('notifications', `${APP}/`, APP)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', `${APP}/#/x`, APP)).toBe(true);
    expect(permissionAllowed('media', `${APP}/`, APP)).toBe(false);
    expect(permissionAllowed('geolocation', `${APP}/`, APP)).toBe(false);
    expect(permissionAllowed('notifications', 'https://evil.example/', APP)).toBe(false);
    expect(permissionAllowed('notifications', `${APP}/`, null)).toBe(false);
  });
});

describe('tray', () => {
  test('running: open, pause federation, start at login, quit', () => {
    const items = trayMenu(status(running));
    expect(items[0]).toEqual({ kind: 'label', label: 'Hearth is running' });
    const actions = items.flatMap((i) => ('action' in i ? [i.action] : []));
    expect(actions).toEqual(['open', 'toggle-federation', 'toggle-open-at-login', 'quit']);
    const pause = items.find((i) => 'action' in i && i.action === 'toggle-federation');
    expect(pause).toMatchObject({ kind: 'checkbox', checked: false, enabled: true });
  });

  test('paused federation shows in the status line and the checkbox', () => {
    expect(statusLine(status(running, true))).toBe('Hearth is running (federation paused)');
    const pause = trayMenu(status(running, true)).find(
      (i) => 'action' in i && i.action === 'toggle-federation',
    );
    expect(pause).toMatchObject({ checked: true });
  });

  test('after a crash loop the tray says so and offers to try again', () => {
    const items = trayMenu(status(crashed));
    expect(items[0]).toEqual({ kind: 'label', label: 'Hearth has stopped: open it to see why' });
    expect(items.some((i) => 'action' in i && i.action === 'retry')).toBe(true);
    const restarting: SupervisorState = {
      status: 'restarting',
      inMs: 4_200,
      at: 0,
      after: { at: 0, reason: 'exited', code: 1, signal: null },
    };
    expect(statusLine(status(restarting))).toBe('Hearth stopped unexpectedly; restarting in 5 s');
  });
});

describe('status page', () => {
  test('after repeated crashes it says why, shows the last lines escaped, and offers a retry', () => {
    const html = statusPageHtml(crashed);
    expect(html).toContain('Hearth stopped 5 times in 5 minutes');
    expect(html).toContain('EADDRINUSE');
    expect(html).toContain('id="hearth-retry"');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    // No script may run in it: the CSP allows only its inline styles.
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(statusPageUrl(crashed).startsWith('data:text/html;charset=utf-8,')).toBe(true);
  });

  test('starting and restarting pages', () => {
    expect(statusPageHtml({ status: 'starting', pid: 1, attempt: 1 })).toContain('Starting Hearth');
    const html = statusPageHtml({
      status: 'restarting',
      inMs: 2_000,
      at: 0,
      after: { at: 0, reason: 'hung', code: null, signal: 'SIGKILL' },
    });
    expect(html).toContain('start again in 2 s');
  });
});

describe('settings', () => {
  test('kept across restarts, written atomically with mode 0600; damage gives defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-shell-'));
    try {
      expect(loadDesktopSettings(dir)).toEqual({ federationPaused: false });
      saveDesktopSettings(dir, { federationPaused: true });
      expect(loadDesktopSettings(dir)).toEqual({ federationPaused: true });
      expect(statSync(settingsPath(dir)).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual(['desktop.json']);
      writeFileSync(settingsPath(dir), '{"federationPaused": tru');
      expect(loadDesktopSettings(dir)).toEqual({ federationPaused: false });
      writeFileSync(settingsPath(dir), '{"federationPaused": "yes"}');
      expect(loadDesktopSettings(dir)).toEqual({ federationPaused: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('electron stays out of what tests load', () => {
  test('only main.ts and preload.ts import electron at run time', () => {
    const root = join(__dirname, '../../../main');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d, { withFileTypes: true })) {
        if (f.isDirectory()) walk(join(d, f.name));
        else if (f.name.endsWith('.ts')) files.push(join(d, f.name));
      }
    };
    walk(root);
    const importers = files
      .filter((f) => /^import (?!type)[^;]*from 'electron'/m.test(readFileSync(f, 'utf8')))
      .map((f) => f.slice(root.length + 1))
      .sort();
    expect(importers).toEqual(['main.ts', 'preload.ts']);
  });
});
