import { route } from '../http/route.js';
import { needsSetup } from './status.js';

/**
 * GET /_hearth/v1/setup — whether the first-run wizard must run. Open to anyone: it says
 * only whether an admin account exists yet.
 */
export const getSetupStatus = route({
  method: 'GET',
  paths: ['/_hearth/v1/setup'],
  auth: 'none',
  handler: async (ctx) => ({ needs_setup: await needsSetup(ctx) }),
});

export const setupRoutes = [getSetupStatus];
