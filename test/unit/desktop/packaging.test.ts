import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../helpers/cli.js';

/**
 * What `npm run dist` (electron-builder) needs, checked here since packaging itself cannot
 * run on this machine (no Electron download): the targets, the entry points the build
 * makes, native modules unpacked from the asar, and the icons.
 */
const builder = parse(readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  mac: { target: string; icon: string };
  win: { target: string; icon: string };
  linux: { target: string; icon: string };
};
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

describe('desktop packaging', () => {
  test('dmg, nsis and AppImage for Hearth', () => {
    expect(builder.appId).toBe('org.hearth.homeserver');
    expect(builder.productName).toBe('Hearth');
    expect([builder.mac.target, builder.win.target, builder.linux.target]).toEqual([
      'dmg',
      'nsis',
      'AppImage',
    ]);
    expect(pkg.scripts.dist).toContain('electron-builder --config electron-builder.yml');
  });

  test('the built main process, preload, server and web app are what gets packaged', () => {
    expect(pkg.main).toBe('dist/main/main.js');
    for (const f of [
      'dist/main/main.js',
      'dist/main/preload.cjs',
      'dist/hearth.mjs',
      'dist/renderer/index.html',
      'bin/hearth.js',
    ]) {
      expect(existsSync(join(REPO_ROOT, f)), f).toBe(true);
    }
    expect(builder.files).toEqual(expect.arrayContaining(['dist/**', 'bin/**', 'package.json']));
  });

  test('every native dependency is rebuilt for Electron and unpacked from the asar', () => {
    expect(builder.npmRebuild).toBe(true);
    const natives = Object.keys(pkg.dependencies).filter((d) =>
      ['better-sqlite3', 'sharp', '@node-rs/bcrypt', 'sodium-native'].includes(d),
    );
    expect(natives).toHaveLength(4);
    for (const d of natives) {
      const top = d.startsWith('@') ? d.split('/')[0]! : d;
      expect(
        builder.asarUnpack.some((g) => g.startsWith(`node_modules/${top}/`)),
        d,
      ).toBe(true);
    }
    // sharp's libvips binaries live in @img/*.
    expect(builder.asarUnpack).toContain('node_modules/@img/**');
  });

  test('icons: a 1024 px app icon and the tray icons', async () => {
    const icon = await sharp(join(REPO_ROOT, builder.linux.icon)).metadata();
    expect([icon.width, icon.height, icon.format]).toEqual([1024, 1024, 'png']);
    const tray = await sharp(join(REPO_ROOT, 'assets/tray.png')).metadata();
    expect([tray.width, tray.height]).toEqual([32, 32]);
    const tray2 = await sharp(join(REPO_ROOT, 'assets/tray@2x.png')).metadata();
    expect([tray2.width, tray2.height]).toEqual([64, 64]);
  });
});
