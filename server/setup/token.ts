import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash, timingSafeEqual } from 'node:crypto';
import { randomString, type Random } from '../core/clock.js';
import type { Config } from '../core/config/types.js';

/**
 * The one-time setup token: someone who is not on this machine (a headless server reached
 * over the network) proves with it that they can read the server's log or its data folder.
 * The file is the only copy, so it survives the context being rebuilt on apply and a
 * restart makes a new one.
 */

/** The data folder: where the database lives (else the config's folder). */
export function setupTokenPath(config: Pick<Config, 'database' | 'configPath'>): string {
  const dir =
    config.database.engine === 'sqlite'
      ? dirname(config.database.path)
      : config.configPath
        ? dirname(config.configPath)
        : process.cwd();
  return join(dir, 'setup-token');
}

/** Writes a new token (mode 0600, replacing any earlier one) and returns it. */
export function createSetupToken(config: Config, random: Random): string {
  const token = randomString(random, 32);
  const path = setupTokenPath(config);
  rmSync(path, { force: true });
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

/** Whether `candidate` is the current setup token (compared in constant time). */
export function isSetupToken(config: Config, candidate: string): boolean {
  const path = setupTokenPath(config);
  if (!candidate || !existsSync(path)) return false;
  let stored: string;
  try {
    stored = readFileSync(path, 'utf8').trim();
  } catch {
    return false;
  }
  if (!stored) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(stored), digest(candidate.trim()));
}

/** Setup is done: the token opens nothing any more. */
export function removeSetupToken(config: Config): void {
  rmSync(setupTokenPath(config), { force: true });
}
