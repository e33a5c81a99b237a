import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';

/**
 * The `acme:` section of homeserver.yaml: Synapse's former ACME keys (enabled, url, port,
 * bind_addresses, reprovision_threshold, domain, account_key_file) plus Hearth's (email,
 * staging_url, ca_bundle, challenge). Kept together so the shared config files only spread
 * them in (server/net/acme/, docs/certificates.md).
 */

export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/** The keys, spread into ConfigSchema. */
export const ACME_KEYS = {
  acme: Type.Optional(
    Type.Object({
      enabled: Type.Optional(Type.Boolean()),
      url: Type.Optional(Type.String({ description: 'an https URL of an ACME directory' })),
      staging_url: Type.Optional(Type.String({ description: 'an https URL of an ACME directory' })),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
      bind_addresses: Type.Optional(Type.Array(Type.String())),
      reprovision_threshold: Type.Optional(
        Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
          description: 'a number of days (at least 1), or null',
        }),
      ),
      domain: Type.Optional(Type.String({ minLength: 1 })),
      account_key_file: Type.Optional(Type.String()),
      email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      ca_bundle: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      challenge: Type.Optional(
        Type.Union([Type.Literal('http-01'), Type.Literal('tls-alpn-01')], {
          description: '"http-01" or "tls-alpn-01"',
        }),
      ),
    }),
  ),
};

export type AcmeChallengeType = 'http-01' | 'tls-alpn-01';

export interface AcmeConfig {
  acme: {
    /** Synapse's `acme.enabled` (default false). */
    enabled: boolean;
    /** The ACME directory (default Let's Encrypt's production one). */
    url: string;
    /** Tried after repeated failures against `url` (default Let's Encrypt's staging one). */
    stagingUrl: string;
    /** Where the challenge listener binds (default 80 for http-01, 443 for tls-alpn-01). */
    port: number;
    /** Synapse's default: every IPv6 and IPv4 address. */
    bindAddresses: string[];
    /** Renew this many days before expiry if that comes before a third of the lifetime. */
    reprovisionThresholdDays: number | null;
    /** The name on the certificate (default server_name without its port). */
    domain: string;
    /** The ACME account's private key (PEM); made on first use. */
    accountKeyFile: string;
    email: string | null;
    /** Extra CA certificates (PEM file) trusted for the ACME server's own HTTPS. */
    caBundle: string | null;
    challenge: AcmeChallengeType;
    /** Where the certificate, its key and its details are kept (mode 0700). */
    storageDir: string;
  };
}

interface RawAcme {
  acme?: {
    enabled?: boolean;
    url?: string;
    staging_url?: string;
    port?: number;
    bind_addresses?: string[];
    reprovision_threshold?: number | null;
    domain?: string;
    account_key_file?: string;
    email?: string | null;
    ca_bundle?: string | null;
    challenge?: AcmeChallengeType;
  };
}

const HOSTNAME = /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;

/**
 * Resolves the section; problems go to `later` (reported with the rest of the config).
 * `dataDir` is the folder of the database, where the certificate is kept.
 */
export function resolveAcmeConfig(
  c: RawAcme & { server_name: string },
  later: string[],
  path: (p: string) => string,
  dataDir: string,
): AcmeConfig {
  const a = c.acme ?? {};
  const enabled = a.enabled ?? false;
  const challenge = a.challenge ?? 'http-01';
  const url = a.url ?? LETS_ENCRYPT_PRODUCTION;
  const stagingUrl = a.staging_url ?? LETS_ENCRYPT_STAGING;
  for (const [key, value] of [
    ['acme.url', url],
    ['acme.staging_url', stagingUrl],
  ] as const) {
    if (!/^https:\/\/[^/\s]+/.test(value)) later.push(`${key}: expected an https:// URL`);
  }
  const domain = (a.domain ?? c.server_name.replace(/:\d+$/, '')).toLowerCase();
  if (enabled && (!HOSTNAME.test(domain) || domain.startsWith('*.'))) {
    later.push(
      `acme.domain: "${domain}" is not a DNS name a public certificate authority can issue for` +
        (a.domain ? '' : ' (it defaults to server_name; set acme.domain)'),
    );
  }
  const bindAddresses = a.bind_addresses ?? ['::', '0.0.0.0'];
  bindAddresses.forEach((h, i) => {
    if (!isIP(h)) later.push(`acme.bind_addresses[${i}]: "${h}" is not an IP address`);
  });
  if (a.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a.email)) {
    later.push(`acme.email: "${a.email}" is not an email address`);
  }
  const caBundle = a.ca_bundle ? path(a.ca_bundle) : null;
  if (enabled && caBundle && !existsSync(caBundle)) {
    later.push(`acme.ca_bundle: ${caBundle} does not exist`);
  }
  const storageDir = join(dataDir, 'acme');
  return {
    acme: {
      enabled,
      url,
      stagingUrl,
      port: a.port ?? (challenge === 'tls-alpn-01' ? 443 : 80),
      bindAddresses,
      reprovisionThresholdDays: a.reprovision_threshold ?? null,
      domain,
      accountKeyFile: a.account_key_file
        ? path(a.account_key_file)
        : join(storageDir, 'account.key'),
      email: a.email ?? null,
      caBundle,
      challenge,
      storageDir,
    },
  };
}
