import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { assertSetupAccess } from './access.js';
import { applySetup } from './apply.js';
import { needsSetup, setupStatus } from './status.js';
import { validateSetupFields } from './validate.js';

/**
 * The first-run wizard's endpoints (docs/setup-wizard.md). Every one but the two status
 * reads answers 403 M_FORBIDDEN unless the server has no admin yet and the request comes
 * from this machine or carries the setup token (server/setup/access.ts).
 */

/**
 * GET /_hearth/v1/setup — whether the first-run wizard must run. Open to anyone: it says
 * only whether an admin account exists yet.
 */
export const getSetupNeeded = route({
  method: 'GET',
  paths: ['/_hearth/v1/setup'],
  auth: 'none',
  handler: async (ctx) => ({ needs_setup: await needsSetup(ctx) }),
});

/** GET /_hearth/v1/setup/status — what the wizard needs before its first step. */
export const getSetupStatus = route({
  method: 'GET',
  paths: ['/_hearth/v1/setup/status'],
  auth: 'none',
  handler: async (ctx, req) => setupStatus(ctx, req),
});

/**
 * POST /_hearth/v1/setup/validate — checks the fields given, each on its own, for the
 * wizard's as-you-type hints: `{server_name?: {valid, errcode?, error?}, username?, password?}`.
 */
export const postSetupValidate = route({
  method: 'POST',
  paths: ['/_hearth/v1/setup/validate'],
  auth: 'none',
  schema: {
    body: Type.Object({
      server_name: Type.Optional(Type.String({ maxLength: 255 })),
      username: Type.Optional(Type.String({ maxLength: 255 })),
      password: Type.Optional(Type.String({ maxLength: 1024 })),
    }),
  },
  handler: async (ctx, req) => {
    await assertSetupAccess(ctx, req);
    return validateSetupFields(ctx, req.body);
  },
});

/**
 * POST /_hearth/v1/setup/apply — writes the settings to homeserver.yaml, applies them to the
 * running server, creates the admin account and answers with its session (as /login does).
 */
export const postSetupApply = route({
  method: 'POST',
  paths: ['/_hearth/v1/setup/apply'],
  auth: 'none',
  schema: {
    body: Type.Object({
      server_name: Type.String({ maxLength: 255 }),
      admin: Type.Object({
        username: Type.String({ maxLength: 255 }),
        password: Type.String({ maxLength: 1024 }),
        displayname: Type.Optional(Type.String({ maxLength: 256 })),
      }),
      registration: Type.Union([
        Type.Literal('closed'),
        Type.Literal('token'),
        Type.Literal('open'),
      ]),
      network: Type.Optional(Type.Union([Type.Literal('automatic'), Type.Literal('manual')])),
    }),
  },
  handler: async (ctx, req) => {
    await assertSetupAccess(ctx, req);
    const { server_name, admin, registration, network } = req.body;
    return applySetup(ctx, { serverName: server_name, admin, registration, network });
  },
});

export const setupRoutes = [getSetupNeeded, getSetupStatus, postSetupValidate, postSetupApply];
