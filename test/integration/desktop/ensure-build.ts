import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/cli.js';

/**
 * Builds dist/ when it predates `hearth serve`'s supervisor channel (its ready message), so
 * these tests can run alone without `npm test`'s pretest build.
 */
export function ensureBuiltWithSupervisorChannel(): void {
  let built = '';
  try {
    built = readFileSync(join(REPO_ROOT, 'dist/hearth.mjs'), 'utf8');
  } catch {
    // not built yet
  }
  if (!built.includes('supervisor disconnected')) {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}
