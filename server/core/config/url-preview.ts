import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { isIpRange } from './ip-range-defaults.js';
import { parseSize } from './units.js';

/**
 * The URL preview keys of homeserver.yaml (Synapse's names), their schema and their
 * resolution, kept together so the shared config files only spread them in
 * (server/media/preview/, docs/media.md "URL previews").
 */

const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
  description: 'a size: bytes, or a string like "10M"',
});
const IpList = Type.Array(Type.String());

/** The keys, spread into ConfigSchema. */
export const URL_PREVIEW_KEYS = {
  url_preview_enabled: Type.Optional(Type.Boolean()),
  url_preview_ip_range_blacklist: Type.Optional(IpList),
  url_preview_ip_range_whitelist: Type.Optional(IpList),
  url_preview_url_blacklist: Type.Optional(
    Type.Array(Type.Record(Type.String(), Type.String()), {
      description: 'a list of mappings of URL parts (scheme, netloc, path...) to patterns',
    }),
  ),
  max_spider_size: Type.Optional(Size),
  url_preview_accept_language: Type.Optional(Type.Array(Type.String())),
  oembed: Type.Optional(
    Type.Object({
      disable_default_providers: Type.Optional(Type.Boolean()),
      additional_providers: Type.Optional(Type.Array(Type.String())),
    }),
  ),
};

/** One oEmbed endpoint: the URL patterns it serves (globs, `*` any run) and its API URL. */
export interface OEmbedEndpoint {
  providerName: string;
  schemes: string[];
  url: string;
}

/** The URL parts a url_preview_url_blacklist entry may name (Python urlsplit's). */
export const URL_BLACKLIST_PARTS = [
  'scheme',
  'netloc',
  'path',
  'query',
  'fragment',
  'username',
  'password',
  'hostname',
  'port',
] as const;

export interface UrlPreviewConfig {
  urlPreview: {
    /** Synapse's `url_preview_enabled` (default false). */
    enabled: boolean;
    /** Synapse's `url_preview_ip_range_blacklist`: required when enabled. */
    ipRangeBlacklist: string[];
    ipRangeWhitelist: string[];
    /** Synapse's `url_preview_url_blacklist`: each entry maps URL parts to patterns. */
    urlBlacklist: Record<string, string>[];
    /** Synapse's `max_spider_size` (default 10M). */
    maxSpiderSize: number;
    /** Synapse's `url_preview_accept_language` (default ["en"]), one Accept-Language header. */
    acceptLanguage: string;
    /** Endpoints of `oembed.additional_providers` (files in oEmbed's providers.json form). */
    oembedEndpoints: OEmbedEndpoint[];
  };
}

interface RawUrlPreview {
  url_preview_enabled?: boolean;
  url_preview_ip_range_blacklist?: string[];
  url_preview_ip_range_whitelist?: string[];
  url_preview_url_blacklist?: Record<string, string>[];
  max_spider_size?: number | string;
  url_preview_accept_language?: string[];
  oembed?: { disable_default_providers?: boolean; additional_providers?: string[] };
}

/**
 * Resolves the keys; a bad value adds a problem to `later`. As in Synapse, turning
 * previews on without an explicit url_preview_ip_range_blacklist is refused: the server
 * would otherwise fetch whatever address a user names, its own network included.
 */
export function resolveUrlPreviewConfig(
  c: RawUrlPreview,
  later: string[],
  path: (p: string) => string,
): UrlPreviewConfig {
  const enabled = c.url_preview_enabled ?? false;
  if (enabled && c.url_preview_ip_range_blacklist === undefined) {
    later.push(
      'url_preview_ip_range_blacklist: for security, url_preview_enabled: true needs an explicit ' +
        'list of IP ranges the preview spider may not reach (see docs/media.md for the ' +
        'recommended list: loopback, private, link-local, CGNAT, multicast and their IPv6 forms)',
    );
  }
  const ipRanges = (key: string, list: readonly string[] = []): string[] => {
    list.forEach((r, i) => {
      if (!isIpRange(r)) later.push(`${key}[${i}]: "${r}" is not an IP address or CIDR range`);
    });
    return [...list];
  };
  const urlBlacklist = c.url_preview_url_blacklist ?? [];
  urlBlacklist.forEach((entry, i) => {
    for (const [part, pattern] of Object.entries(entry)) {
      if (!(URL_BLACKLIST_PARTS as readonly string[]).includes(part)) {
        later.push(
          `url_preview_url_blacklist[${i}].${part}: not a URL part (one of ${URL_BLACKLIST_PARTS.join(', ')})`,
        );
      } else if (pattern.startsWith('^')) {
        try {
          new RegExp(pattern);
        } catch {
          later.push(
            `url_preview_url_blacklist[${i}].${part}: "${pattern}" is not a regular expression`,
          );
        }
      }
    }
  });
  const maxSpiderSize =
    c.max_spider_size === undefined ? 10 * 1024 * 1024 : parseSize(c.max_spider_size);
  if (maxSpiderSize === null) later.push('max_spider_size: expected a size such as "10M" or bytes');
  const languages = c.url_preview_accept_language?.length ? c.url_preview_accept_language : ['en'];
  return {
    urlPreview: {
      enabled,
      ipRangeBlacklist: ipRanges(
        'url_preview_ip_range_blacklist',
        c.url_preview_ip_range_blacklist,
      ),
      ipRangeWhitelist: ipRanges(
        'url_preview_ip_range_whitelist',
        c.url_preview_ip_range_whitelist,
      ),
      urlBlacklist,
      maxSpiderSize: maxSpiderSize ?? 0,
      acceptLanguage: languages.join(', '),
      oembedEndpoints: (c.oembed?.additional_providers ?? []).flatMap((file, i) =>
        readProviders(path(file), `oembed.additional_providers[${i}]`, later),
      ),
    },
  };
}

/** Reads an oEmbed providers.json: `[{provider_name, endpoints: [{schemes, url}]}]`. */
function readProviders(file: string, key: string, later: string[]): OEmbedEndpoint[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    later.push(`${key}: cannot read ${file} as JSON (${(err as Error).message})`);
    return [];
  }
  if (!Array.isArray(doc)) {
    later.push(`${key}: ${file} must hold a JSON array of providers`);
    return [];
  }
  const out: OEmbedEndpoint[] = [];
  for (const p of doc as unknown[]) {
    const provider = p as { provider_name?: unknown; endpoints?: unknown };
    if (!Array.isArray(provider.endpoints)) continue;
    for (const e of provider.endpoints as unknown[]) {
      const ep = e as { schemes?: unknown; url?: unknown };
      if (typeof ep.url !== 'string' || !Array.isArray(ep.schemes)) continue;
      const schemes = ep.schemes.filter((s): s is string => typeof s === 'string');
      if (!schemes.length) continue;
      out.push({
        providerName: typeof provider.provider_name === 'string' ? provider.provider_name : '',
        schemes,
        url: ep.url,
      });
    }
  }
  return out;
}
