import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { isFederationPaused, setFederationPaused } from '../pause.js';

/**
 * GET/PUT /_hearth/admin/v1/federation/pause — the desktop tray's "Pause federation", for
 * headless servers too (server admins only). See server/federation/pause.ts.
 */
export const getFederationPause = route({
  method: 'GET',
  paths: ['/_hearth/admin/v1/federation/pause'],
  auth: 'admin',
  handler: async (ctx) => ({ paused: isFederationPaused(ctx) }),
});

export const putFederationPause = route({
  method: 'PUT',
  paths: ['/_hearth/admin/v1/federation/pause'],
  auth: 'admin',
  schema: { body: Type.Object({ paused: Type.Boolean() }) },
  handler: async (ctx, req) => {
    setFederationPaused(ctx, req.body.paused);
    return { paused: isFederationPaused(ctx) };
  },
});

export const federationPauseRoutes = [getFederationPause, putFederationPause];
