import { describe, expect, test } from 'vitest';
import { appDataDir, homeserverDir } from '../../../main/supervisor/app-data.js';
import { healthUrlFor } from '../../../main/supervisor/health.js';
import {
  DEFAULT_RESTART_POLICY as P,
  isCrashLoop,
  restartDelay,
} from '../../../main/supervisor/restart-policy.js';

/** The supervisor's pure parts: backoff, crash-loop window, data folder, health URL. */

describe('restartDelay', () => {
  test.each([
    [1, 0, 1_000],
    [2, 0, 2_000],
    [3, 0, 4_000],
    [6, 0, 32_000],
    [7, 0, 60_000],
    [30, 0, 60_000],
    // jitter shortens by up to 20 %, never lengthens past the cap
    [1, 0.5, 900],
    [7, 0.999, 48_012],
  ])('failure %i with random %f waits %i ms', (n, r, ms) => {
    expect(restartDelay(P, n, r)).toBe(ms);
  });
});

describe('isCrashLoop', () => {
  test('five failures within five minutes is a loop; older ones do not count', () => {
    const now = 1_000_000;
    const recent = [now - 4_000, now - 3_000, now - 2_000, now - 1_000];
    expect(isCrashLoop(P, recent, now)).toBe(false);
    expect(isCrashLoop(P, [...recent, now], now)).toBe(true);
    expect(isCrashLoop(P, [now - 5 * 60_000 - 1, ...recent], now)).toBe(false);
  });
});

describe('appDataDir mirrors Electron userData', () => {
  test.each([
    ['darwin', {}, '/Users/ann/Library/Application Support/Hearth'],
    [
      'win32',
      { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' },
      'C:\\Users\\ann\\AppData\\Roaming\\Hearth',
    ],
    ['linux', {}, '/Users/ann/.config/Hearth'],
    ['linux', { XDG_CONFIG_HOME: '/xdg' }, '/xdg/Hearth'],
    // a relative XDG_CONFIG_HOME is ignored, as the XDG spec says
    ['linux', { XDG_CONFIG_HOME: 'rel' }, '/Users/ann/.config/Hearth'],
    ['freebsd', {}, '/Users/ann/.config/Hearth'],
  ] as const)('%s %j -> %s', (platform, env, dir) => {
    expect(appDataDir({ platform, env, home: '/Users/ann' })).toBe(dir);
  });

  test('Windows without APPDATA falls back to the roaming folder under home', () => {
    expect(appDataDir({ platform: 'win32', env: {}, home: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Hearth',
    );
  });

  test('the homeserver has its own folder inside', () => {
    expect(homeserverDir('/x/Hearth')).toBe('/x/Hearth/homeserver');
  });
});

describe('healthUrlFor', () => {
  test.each([
    [[{ host: '127.0.0.1', port: 8008, tls: false }], 'http://127.0.0.1:8008/health'],
    [
      [
        { host: '::1', port: 8008, tls: false },
        { host: '127.0.0.1', port: 8008, tls: false },
      ],
      'http://127.0.0.1:8008/health',
    ],
    [[{ host: '::', port: 8008, tls: false }], 'http://[::1]:8008/health'],
    [
      [
        { host: '0.0.0.0', port: 8448, tls: true },
        { host: '0.0.0.0', port: 8008, tls: false },
      ],
      'http://127.0.0.1:8008/health',
    ],
    [[], null],
  ])('%j -> %s', (addresses, url) => {
    expect(healthUrlFor(addresses)).toBe(url);
  });
});
