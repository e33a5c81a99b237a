import { route } from '../http/route.js';
import { turnCredentials } from './turn-credentials.js';

/** GET /_matrix/client/v3/voip/turnServer — TURN credentials for calls (spec: VOIP). */
export const getTurnServer = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/voip/turnServer'],
  auth: 'required',
  handler: async (ctx, req) => turnCredentials(ctx, req.requester),
});

export const voipRoutes = [getTurnServer];
