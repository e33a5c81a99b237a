import { Type } from '@sinclair/typebox';
import { login, loginFlows } from '../login.js';
import { route } from '../../http/route.js';

/** GET /_matrix/client/v3/login — the login types this server accepts. */
export const getLoginFlows = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/login'],
  auth: 'none',
  handler: async (ctx) => ({ flows: loginFlows(ctx) }),
});

/**
 * POST /_matrix/client/v3/login — log in with a password, getting a device and tokens.
 * - `identifier` (m.id.user) or the deprecated top-level `user`; `device_id` reuses a device.
 * - `refresh_token: true` opts in to expiring access tokens and a refresh token.
 */
export const postLogin = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/login'],
  auth: 'none',
  schema: {
    body: Type.Object({
      type: Type.String(),
      identifier: Type.Optional(Type.Object({ type: Type.String() })),
      user: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      token: Type.Optional(Type.String()),
      device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      initial_device_display_name: Type.Optional(Type.String({ maxLength: 100 })),
      refresh_token: Type.Optional(Type.Boolean()),
    }),
  },
  handler: (ctx, req) => login(ctx, { body: req.body, clientIp: req.clientIp }),
});

export const loginRoutes = [getLoginFlows, postLogin];
