import { Type } from '@sinclair/typebox';
import {
  createRegistrationToken,
  deleteRegistrationToken,
  getRegistrationToken,
  listRegistrationTokens,
  updateRegistrationToken,
} from '../../accounts/registration-tokens.js';
import { route } from '../../http/route.js';

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

export const registrationTokenRoutes = [
  getRegistrationTokens,
  postRegistrationToken,
  getOneRegistrationToken,
  putRegistrationToken,
  deleteOneRegistrationToken,
];
