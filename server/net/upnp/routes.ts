import { route } from '../../http/route.js';
import { getPortMappingStatus } from './port-mapping.js';

/**
 * GET /_hearth/admin/v1/port_mapping — what the router forwards to this server over UPnP,
 * its external address and NAT kind, and the manual steps when it forwards nothing
 * (docs/ports.md). Server admins only.
 */
export const getPortMapping = route({
  method: 'GET',
  paths: ['/_hearth/admin/v1/port_mapping'],
  auth: 'admin',
  handler: async (ctx) => getPortMappingStatus(ctx),
});

export const portMappingRoutes = [getPortMapping];
