import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node and V8 flags the server runs with, from bin/node-flags.json: the same list the
 * `hearth` command's #! line and `npm start` carry (bin/hearth.js says why each is there).
 * Read at run time from the package the supervisor starts, so a packaged app and a checkout
 * each use their own. A missing or malformed file is an error: the server would then run
 * with another memory profile than the one documented and measured.
 */
export function serverNodeFlags(packageRoot: string): string[] {
  const file = join(packageRoot, 'bin', 'node-flags.json');
  const flags: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string' && f.startsWith('--'))) {
    throw new Error(`${file} must be a JSON array of Node flags`);
  }
  return flags as string[];
}
