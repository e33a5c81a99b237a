import { Type } from '@sinclair/typebox';
import { createRegistrationNonce, registerWithSharedSecret } from '../../accounts/shared-secret.js';
import { route } from '../../http/route.js';

/** GET /_synapse/admin/v1/register — a one-time nonce for shared-secret registration. */
export const getRegisterNonce = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/register'],
  auth: 'none',
  handler: async (ctx) => ({ nonce: createRegistrationNonce(ctx) }),
});

/**
 * POST /_synapse/admin/v1/register — register a user with the shared secret, as Synapse's
 * register_new_matrix_user does (HMAC-SHA1 over nonce, name, password, admin flag).
 */
export const postRegisterSharedSecret = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/register'],
  auth: 'none',
  schema: {
    body: Type.Object({
      nonce: Type.String(),
      username: Type.String({ minLength: 1 }),
      password: Type.String({ minLength: 1 }),
      admin: Type.Optional(Type.Boolean()),
      user_type: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      displayname: Type.Optional(Type.String()),
      mac: Type.String(),
    }),
  },
  handler: (ctx, req) => registerWithSharedSecret(ctx, req.body),
});

export const registerRoutes = [getRegisterNonce, postRegisterSharedSecret];
