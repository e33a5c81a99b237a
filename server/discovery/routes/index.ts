import { clientBaseUrl } from '../../core/config/types.js';
import { KNOWN_ROOM_VERSIONS, roomVersionStability } from '../../core/room-versions.js';
import { errors } from '../../core/errors.js';
import { Reply, route } from '../../http/route.js';
import { SUPPORTED_SPEC_VERSIONS, UNSTABLE_FEATURES } from '../versions.js';

// The answer never changes while the server runs: serialise it once.
const VERSIONS_BODY = JSON.stringify({
  versions: SUPPORTED_SPEC_VERSIONS,
  unstable_features: UNSTABLE_FEATURES,
});

/** GET /_matrix/client/versions — spec versions and unstable features this server supports. */
export const getVersions = route({
  method: 'GET',
  paths: ['/_matrix/client/versions'],
  auth: 'none',
  handler: async () => new Reply(200, VERSIONS_BODY, { 'Content-Type': 'application/json' }),
});

/** GET /_matrix/client/v3/capabilities — what this server lets the user do. */
export const getCapabilities = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/capabilities'],
  auth: 'required',
  handler: async (ctx) => ({
    capabilities: {
      'm.change_password': { enabled: ctx.config.passwordEnabled },
      'm.room_versions': {
        default: ctx.config.defaultRoomVersion,
        available: Object.fromEntries(KNOWN_ROOM_VERSIONS.map((v) => [v, roomVersionStability(v)])),
      },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.3pid_changes': { enabled: false },
      'm.get_login_token': { enabled: false },
      'm.profile_fields': { enabled: true },
    },
  }),
});

/**
 * GET /.well-known/matrix/client — where clients find this homeserver (public_baseurl).
 * Served unless serve_client_wellknown is false.
 */
export const getClientWellKnown = route({
  method: 'GET',
  paths: ['/.well-known/matrix/client'],
  auth: 'none',
  handler: async (ctx) => {
    if (!ctx.config.serveClientWellknown)
      throw errors.notFound('No .well-known client configuration');
    return { 'm.homeserver': { base_url: clientBaseUrl(ctx.config) } };
  },
});

/**
 * GET /.well-known/matrix/server — where other servers find this one (delegation).
 * Only with serve_server_wellknown: the host of public_baseurl, port 443 unless it names one.
 */
export const getServerWellKnown = route({
  method: 'GET',
  paths: ['/.well-known/matrix/server'],
  auth: 'none',
  handler: async (ctx) => {
    if (!ctx.config.serveServerWellknown)
      throw errors.notFound('No .well-known server configuration');
    const url = new URL(ctx.config.publicBaseUrl);
    return { 'm.server': `${url.hostname}:${url.port || 443}` };
  },
});

export const discoveryRoutes = [
  getVersions,
  getCapabilities,
  getClientWellKnown,
  getServerWellKnown,
];
