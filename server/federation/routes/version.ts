import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reply, route } from '../../http/route.js';
import { packageRoot } from '../../paths.js';

let versionBody: string | undefined;

/** The answer never changes while the server runs: read package.json once, on first use. */
function body(): string {
  versionBody ??= JSON.stringify({
    server: {
      name: 'Hearth',
      version: (
        JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    },
  });
  return versionBody;
}

/**
 * GET /_matrix/federation/v1/version — this server's implementation name and version.
 * - Unauthenticated, as in the spec (no X-Matrix needed) and on Synapse.
 */
export const getFederationVersion = route({
  method: 'GET',
  paths: ['/_matrix/federation/v1/version'],
  auth: 'none',
  handler: async () => new Reply(200, body(), { 'Content-Type': 'application/json' }),
});

export const versionRoutes = [getFederationVersion];
