import { Type } from '@sinclair/typebox';
import { logout, logoutAll } from '../account.js';
import { refreshTokens } from '../tokens.js';
import { route } from '../../http/route.js';

/** POST /_matrix/client/v3/logout — ends this session: its device and tokens are deleted. */
export const postLogout = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/logout'],
  auth: 'required',
  handler: async (ctx, req) => {
    await logout(ctx, req.requester);
    return {};
  },
});

/** POST /_matrix/client/v3/logout/all — ends every session of the user. */
export const postLogoutAll = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/logout/all'],
  auth: 'required',
  handler: async (ctx, req) => {
    await logoutAll(ctx, req.requester);
    return {};
  },
});

/** GET /_matrix/client/v3/account/whoami — who this access token belongs to. */
export const getWhoami = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/account/whoami'],
  auth: 'required',
  handler: async (_ctx, req) => ({
    user_id: req.requester.userId,
    device_id: req.requester.deviceId,
    is_guest: req.requester.isGuest,
  }),
});

/**
 * POST /_matrix/client/v3/refresh — trade a refresh token for new tokens.
 * - The old refresh token keeps working until the new pair is first used.
 */
export const postRefresh = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/refresh'],
  auth: 'none',
  schema: { body: Type.Object({ refresh_token: Type.String() }) },
  handler: async (ctx, req) => {
    const t = await refreshTokens(ctx, req.body.refresh_token);
    return {
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      expires_in_ms: t.expiresInMs,
    };
  },
});

export const sessionRoutes = [postLogout, postLogoutAll, getWhoami, postRefresh];
