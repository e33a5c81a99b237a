import { Type } from '@sinclair/typebox';
import { changePassword, deactivateAccount } from '../account.js';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { EmailTokenBody, MsisdnTokenBody, threepidUnsupported } from './registration.js';

/**
 * POST /_matrix/client/v3/account/password — change the password (User-Interactive Auth).
 * - Other devices are logged out unless `logout_devices: false`.
 * - Without a token, only an email-verified reset could apply; no email is sent here.
 */
export const postAccountPassword = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/account/password'],
  auth: 'optional',
  schema: {
    body: Type.Object({
      new_password: Type.String({ minLength: 1 }),
      logout_devices: Type.Optional(Type.Boolean()),
      auth: Type.Optional(Type.Object({})),
    }),
  },
  handler: async (ctx, req) => {
    if (!req.requester) {
      throw errors.forbidden(
        'Log in to change your password: password reset by email is not configured',
      );
    }
    await changePassword(ctx, req.requester, {
      newPassword: req.body.new_password,
      logoutDevices: req.body.logout_devices ?? true,
      auth: req.body.auth,
    });
    return {};
  },
});

/** POST /_matrix/client/v3/account/password/email/requestToken */
export const postPasswordEmailRequestToken = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/account/password/email/requestToken'],
  auth: 'none',
  schema: { body: EmailTokenBody },
  handler: async () => threepidUnsupported('email'),
});

/** POST /_matrix/client/v3/account/password/msisdn/requestToken */
export const postPasswordMsisdnRequestToken = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/account/password/msisdn/requestToken'],
  auth: 'none',
  schema: { body: MsisdnTokenBody },
  handler: async () => threepidUnsupported('msisdn'),
});

/**
 * POST /_matrix/client/v3/account/deactivate — close the account for good (UIA).
 * - Its name is never given out again; `erase: true` also removes the profile.
 */
export const postAccountDeactivate = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/account/deactivate'],
  auth: 'required',
  schema: {
    body: Type.Optional(
      Type.Object({
        auth: Type.Optional(Type.Object({})),
        erase: Type.Optional(Type.Boolean()),
        id_server: Type.Optional(Type.String()),
      }),
    ),
  },
  handler: async (ctx, req) => {
    await deactivateAccount(ctx, req.requester, {
      auth: req.body?.auth,
      erase: req.body?.erase ?? false,
    });
    // No 3PIDs are ever bound here, and the spec says "success" when there are none to unbind.
    return { id_server_unbind_result: 'success' };
  },
});

export const accountRoutes = [
  postAccountPassword,
  postPasswordEmailRequestToken,
  postPasswordMsisdnRequestToken,
  postAccountDeactivate,
];
