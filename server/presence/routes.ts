import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { getPresence, setPresence } from './presence.js';

const Params = Type.Object({ userId: Type.String() });

/**
 * PUT /_matrix/client/v3/presence/{userId}/status — set one's presence and status message.
 * - 403 M_FORBIDDEN for another user; `presence` is online, unavailable or offline.
 */
export const putPresenceStatus = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/presence/{userId}/status'],
  auth: 'required',
  schema: {
    params: Params,
    body: Type.Object({
      presence: Type.Union([
        Type.Literal('online'),
        Type.Literal('unavailable'),
        Type.Literal('offline'),
      ]),
      status_msg: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    setPresence(ctx, req.requester, {
      userId: req.params.userId,
      presence: req.body.presence,
      statusMsg: req.body.status_msg,
    }),
});

/**
 * GET /_matrix/client/v3/presence/{userId}/status — a user's presence.
 * - 403 M_FORBIDDEN unless the requester shares a room with them (as Synapse); 404
 *   M_NOT_FOUND for an unknown local user.
 */
export const getPresenceStatus = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/presence/{userId}/status'],
  auth: 'required',
  schema: { params: Params },
  handler: (ctx, req) => getPresence(ctx, req.requester, req.params.userId),
});

export const presenceRoutes = [putPresenceStatus, getPresenceStatus];
