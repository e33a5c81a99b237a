import type { Config } from '../../core/config/types.js';

/**
 * Synapse's start-up warning when matrix.org is a trusted key server and
 * suppress_key_server_warning is not set (its TRUSTED_KEY_SERVER_CONFIGURED_AS_M_ORG_WARN),
 * so admins moving over see the same line. Null when there is nothing to say.
 */
export function keyServerWarning(
  config: Pick<Config, 'trustedKeyServers' | 'suppressKeyServerWarning'>,
): string | null {
  if (config.suppressKeyServerWarning) return null;
  if (!config.trustedKeyServers.some((s) => s.serverName === 'matrix.org')) return null;
  return (
    "This server is configured to use 'matrix.org' as its trusted key server via the " +
    "'trusted_key_servers' config option. 'matrix.org' is a good choice for a key server " +
    'since it is long-lived, stable and trusted. However, some admins may wish to use ' +
    'another server for this purpose. To suppress this warning and continue using ' +
    "'matrix.org', admins should set 'suppress_key_server_warning' to 'true' in homeserver.yaml."
  );
}
