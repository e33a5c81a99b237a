import { Type } from '@sinclair/typebox';
import { errors } from '../core/errors.js';
import { route } from '../http/route.js';
import { sync } from './sync.js';
import { downloadFilter, uploadFilter } from './user-filters.js';

/** The longest a /sync long-poll is held, whatever `timeout` asks (Synapse has no cap). */
const MAX_SYNC_TIMEOUT_MS = 10 * 60_000;

/** POST /_matrix/client/v3/user/{userId}/filter — store a filter; 403 for another user. */
export const postFilter = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/user/{userId}/filter'],
  auth: 'required',
  schema: {
    params: Type.Object({ userId: Type.String() }),
    body: Type.Record(Type.String(), Type.Unknown()),
  },
  handler: (ctx, req) => uploadFilter(ctx, req.requester, req.params.userId, req.body),
});

/** GET /_matrix/client/v3/user/{userId}/filter/{filterId} — a stored filter; 404 M_NOT_FOUND. */
export const getFilter = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/user/{userId}/filter/{filterId}'],
  auth: 'required',
  schema: { params: Type.Object({ userId: Type.String(), filterId: Type.String() }) },
  handler: (ctx, req) => downloadFilter(ctx, req.requester, req.params.userId, req.params.filterId),
});

/**
 * GET /_matrix/client/v3/sync — the user's rooms, changes since `since`, long-polling up
 * to `timeout` ms when nothing changed.
 * - `set_presence` (online by default) sets the user's presence; `offline` leaves it alone.
 * - The request's socket is not reachable from a route (RouteRequest), so a client that
 *   goes away mid-poll is noticed only when the poll ends.
 */
export const getSync = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/sync'],
  auth: 'required',
  schema: {
    query: Type.Object({
      filter: Type.Optional(Type.String()),
      since: Type.Optional(Type.String()),
      full_state: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
      set_presence: Type.Optional(
        Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unavailable')]),
      ),
      timeout: Type.Optional(Type.String()),
      use_state_after: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    }),
  },
  handler: (ctx, req) => {
    const timeout = req.query.timeout ?? '0';
    if (!/^\d{1,10}$/.test(timeout)) throw errors.invalidParam('timeout must be an integer');
    return sync(ctx, req.requester, {
      filter: req.query.filter,
      since: req.query.since,
      fullState: req.query.full_state === 'true',
      useStateAfter: req.query.use_state_after === 'true',
      timeoutMs: Math.min(Number(timeout), MAX_SYNC_TIMEOUT_MS),
      signal: req.signal,
      setPresence: req.query.set_presence,
    });
  },
});

export const syncRoutes = [postFilter, getFilter, getSync];
