import { Type } from '@sinclair/typebox';
import { errors, MatrixError } from '../../core/errors.js';
import { assertUsernameAvailable } from '../identifiers.js';
import { assertRegistrationOpen, register } from '../register.js';
import { isRegistrationTokenUsable } from '../uia.js';
import { route } from '../../http/route.js';

/**
 * POST /_matrix/client/v3/register — create an account (User-Interactive Auth).
 * - 403 M_FORBIDDEN while enable_registration is off; guests need allow_guest_access.
 * - flows: m.login.dummy, or m.login.registration_token then dummy when tokens are required.
 */
export const postRegister = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/register'],
  auth: 'none',
  schema: {
    query: Type.Object({
      kind: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('guest')])),
    }),
    body: Type.Object({
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      initial_device_display_name: Type.Optional(Type.String({ maxLength: 100 })),
      inhibit_login: Type.Optional(Type.Boolean()),
      refresh_token: Type.Optional(Type.Boolean()),
      auth: Type.Optional(
        Type.Object({ type: Type.Optional(Type.String()), session: Type.Optional(Type.String()) }),
      ),
    }),
  },
  handler: (ctx, req) =>
    register(ctx, { kind: req.query.kind ?? 'user', body: req.body, clientIp: req.clientIp }),
});

/** GET /_matrix/client/v3/register/available — is this username free? */
export const getRegisterAvailable = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/register/available'],
  auth: 'none',
  schema: { query: Type.Object({ username: Type.String() }) },
  handler: async (ctx, req) => {
    assertRegistrationOpen(ctx, 'user');
    const retry = ctx.rateLimiter.take(
      `register-available:${req.clientIp}`,
      ctx.config.rateLimits.registration,
    );
    if (retry) throw errors.limitExceeded(retry);
    await assertUsernameAvailable(ctx, req.query.username);
    return { available: true };
  },
});

/**
 * GET /_matrix/client/v1/register/m.login.registration_token/validity — may this token
 * be used to register? Rate limited (rc_registration_token_validity) against guessing.
 */
export const getRegistrationTokenValidity = route({
  method: 'GET',
  paths: ['/_matrix/client/v1/register/m.login.registration_token/validity'],
  auth: 'none',
  schema: { query: Type.Object({ token: Type.String() }) },
  handler: async (ctx, req) => {
    // 403 only when registration itself is closed (spec); with open registration a token
    // is simply valid or not, as on Synapse.
    if (!ctx.config.enableRegistration)
      throw errors.forbidden('Registration is not enabled on this server');
    const retry = ctx.rateLimiter.take(
      `token-validity:${req.clientIp}`,
      ctx.config.rateLimits.registrationTokenValidity,
    );
    if (retry) throw errors.limitExceeded(retry);
    return { valid: await isRegistrationTokenUsable(ctx, req.query.token) };
  },
});

const EmailTokenBody = Type.Object({
  client_secret: Type.String({ minLength: 1, maxLength: 255, pattern: '^[0-9a-zA-Z.=_-]+$' }),
  email: Type.String({ minLength: 1 }),
  send_attempt: Type.Integer(),
  next_link: Type.Optional(Type.String()),
  id_server: Type.Optional(Type.String()),
  id_access_token: Type.Optional(Type.String()),
});

const MsisdnTokenBody = Type.Object({
  client_secret: Type.String({ minLength: 1, maxLength: 255, pattern: '^[0-9a-zA-Z.=_-]+$' }),
  country: Type.String(),
  phone_number: Type.String(),
  send_attempt: Type.Integer(),
  next_link: Type.Optional(Type.String()),
  id_server: Type.Optional(Type.String()),
  id_access_token: Type.Optional(Type.String()),
});

/** The answer of every 3PID requestToken endpoint while no email or SMS sending is set up. */
export function threepidUnsupported(medium: 'email' | 'msisdn'): never {
  throw new MatrixError(
    'M_THREEPID_MEDIUM_NOT_SUPPORTED',
    medium === 'email'
      ? 'This homeserver does not send email: no email sending is configured'
      : 'This homeserver does not send text messages: no SMS sending is configured',
    400,
  );
}

/** POST /_matrix/client/v3/register/email/requestToken */
export const postRegisterEmailRequestToken = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/register/email/requestToken'],
  auth: 'none',
  schema: { body: EmailTokenBody },
  handler: async () => threepidUnsupported('email'),
});

/** POST /_matrix/client/v3/register/msisdn/requestToken */
export const postRegisterMsisdnRequestToken = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/register/msisdn/requestToken'],
  auth: 'none',
  schema: { body: MsisdnTokenBody },
  handler: async () => threepidUnsupported('msisdn'),
});

export { EmailTokenBody, MsisdnTokenBody };

export const registrationRoutes = [
  postRegister,
  getRegisterAvailable,
  getRegistrationTokenValidity,
  postRegisterEmailRequestToken,
  postRegisterMsisdnRequestToken,
];
