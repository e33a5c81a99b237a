import type { Ctx } from '../context.js';
import { countServerAdmins } from '../accounts/users.js';

/** The first-run wizard runs while the server has no admin account. */
export async function needsSetup(ctx: Ctx): Promise<boolean> {
  return (await countServerAdmins(ctx)) === 0;
}
