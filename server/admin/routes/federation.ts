import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import {
  DESTINATION_ORDER,
  getDestination,
  listDestinations,
  resetConnection,
} from '../federation-destinations.js';
import { dirParam, intParam, orderParam } from '../paging.js';

/** Synapse's federation admin API (docs/admin-api.md "Federation"). */

const Str = Type.Optional(Type.String());
const DestinationParams = Type.Object({ destination: Type.String() });

/** GET /_synapse/admin/v1/federation/destinations — known servers and their retry state. */
export const getDestinations = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/federation/destinations'],
  auth: 'admin',
  schema: {
    query: Type.Object({ from: Str, limit: Str, order_by: Str, dir: Str, destination: Str }),
  },
  handler: (ctx, req) => {
    const q = req.query;
    return listDestinations(ctx, {
      from: intParam('from', q.from, 0),
      limit: intParam('limit', q.limit, 100),
      orderBy: orderParam(q.order_by, DESTINATION_ORDER, 'destination'),
      dir: dirParam(q.dir),
      search: q.destination || undefined,
    });
  },
});

/** GET /_synapse/admin/v1/federation/destinations/{destination} */
export const getOneDestination = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/federation/destinations/{destination}'],
  auth: 'admin',
  schema: { params: DestinationParams },
  handler: (ctx, req) => getDestination(ctx, req.params.destination),
});

/** POST /_synapse/admin/v1/federation/destinations/{destination}/reset_connection — retry now. */
export const postResetConnection = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/federation/destinations/{destination}/reset_connection'],
  auth: 'admin',
  schema: { params: DestinationParams, body: Type.Optional(Type.Object({})) },
  handler: async (ctx, req) => {
    await resetConnection(ctx, req.params.destination);
    return {};
  },
});

export const federationAdminRoutes = [getDestinations, getOneDestination, postResetConnection];
