import { Type } from '@sinclair/typebox';
import {
  createRegistrationToken,
  deleteRegistrationToken,
  getRegistrationToken,
  listRegistrationTokens,
  updateRegistrationToken,
} from '../../accounts/registration-tokens.js';
import { createRegistrationNonce, registerWithSharedSecret } from '../../accounts/shared-secret.js';
import { isServerAdmin, setServerAdmin } from '../../accounts/users.js';
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

const TokenParams = Type.Object({ token: Type.String() });
const Nullable = (t: ReturnType<typeof Type.Integer>) =>
  Type.Optional(Type.Union([t, Type.Null()]));

/** GET /_synapse/admin/v1/registration_tokens — all tokens, or only (in)valid ones. */
export const getRegistrationTokens = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/registration_tokens'],
  auth: 'admin',
  schema: {
    query: Type.Object({
      valid: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    }),
  },
  handler: async (ctx, req) => ({
    registration_tokens: await listRegistrationTokens(
      ctx,
      req.query.valid === undefined ? undefined : req.query.valid === 'true',
    ),
  }),
});

/** POST /_synapse/admin/v1/registration_tokens/new — create a token. */
export const postRegistrationToken = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/registration_tokens/new'],
  auth: 'admin',
  schema: {
    body: Type.Object({
      token: Type.Optional(Type.String()),
      length: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
      uses_allowed: Nullable(Type.Integer({ minimum: 0 })),
      expiry_time: Nullable(Type.Integer({ minimum: 0 })),
    }),
  },
  handler: (ctx, req) =>
    createRegistrationToken(ctx, {
      token: req.body.token,
      length: req.body.length,
      usesAllowed: req.body.uses_allowed,
      expiryTime: req.body.expiry_time,
    }),
});

/** GET /_synapse/admin/v1/registration_tokens/{token} */
export const getOneRegistrationToken = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/registration_tokens/{token}'],
  auth: 'admin',
  schema: { params: TokenParams },
  handler: (ctx, req) => getRegistrationToken(ctx, req.params.token),
});

/** PUT /_synapse/admin/v1/registration_tokens/{token} — change uses or expiry. */
export const putRegistrationToken = route({
  method: 'PUT',
  paths: ['/_synapse/admin/v1/registration_tokens/{token}'],
  auth: 'admin',
  schema: {
    params: TokenParams,
    body: Type.Object({
      uses_allowed: Nullable(Type.Integer({ minimum: 0 })),
      expiry_time: Nullable(Type.Integer({ minimum: 0 })),
    }),
  },
  handler: (ctx, req) =>
    updateRegistrationToken(ctx, req.params.token, {
      usesAllowed: req.body.uses_allowed,
      expiryTime: req.body.expiry_time,
    }),
});

/** DELETE /_synapse/admin/v1/registration_tokens/{token} */
export const deleteOneRegistrationToken = route({
  method: 'DELETE',
  paths: ['/_synapse/admin/v1/registration_tokens/{token}'],
  auth: 'admin',
  schema: { params: TokenParams },
  handler: async (ctx, req) => {
    await deleteRegistrationToken(ctx, req.params.token);
    return {};
  },
});

const UserParams = Type.Object({ userId: Type.String() });

/** GET /_synapse/admin/v1/users/{userId}/admin — is this user a server admin? */
export const getUserAdmin = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/users/{userId}/admin'],
  auth: 'admin',
  schema: { params: UserParams },
  handler: async (ctx, req) => ({ admin: await isServerAdmin(ctx, req.params.userId) }),
});

/** PUT /_synapse/admin/v1/users/{userId}/admin — make a user a server admin, or not. */
export const putUserAdmin = route({
  method: 'PUT',
  paths: ['/_synapse/admin/v1/users/{userId}/admin'],
  auth: 'admin',
  schema: { params: UserParams, body: Type.Object({ admin: Type.Boolean() }) },
  handler: async (ctx, req) => {
    await setServerAdmin(ctx, req.requester.userId, req.params.userId, req.body.admin);
    return {};
  },
});

export const adminRoutes = [
  getUserAdmin,
  putUserAdmin,
  getRegisterNonce,
  postRegisterSharedSecret,
  getRegistrationTokens,
  postRegistrationToken,
  getOneRegistrationToken,
  putRegistrationToken,
  deleteOneRegistrationToken,
];
