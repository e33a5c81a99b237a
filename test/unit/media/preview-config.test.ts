import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemRandom } from '../../../server/core/clock.js';
import { generateConfig } from '../../../server/core/config/generate.js';
import { DEFAULT_IP_RANGE_BLACKLIST } from '../../../server/core/config/ip-range-defaults.js';
import { ConfigError, loadConfigFile, resolveConfig } from '../../../server/core/config/load.js';

// The url_preview_* keys of homeserver.yaml (Synapse's), as an admin meets them.

const dir = mkdtempSync(join(tmpdir(), 'hearth-preview-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (extra: Record<string, unknown>) =>
  resolveConfig({ server_name: 'example.org', ...extra }, join(dir, 'homeserver.yaml'), {
    signingKeys: [],
  }).config;

function problems(extra: Record<string, unknown>): string[] {
  try {
    load(extra);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('url preview config', () => {
  it('is off by default, with Synapse defaults for the rest', () => {
    expect(load({}).urlPreview).toEqual({
      enabled: false,
      ipRangeBlacklist: [],
      ipRangeWhitelist: [],
      urlBlacklist: [],
      maxSpiderSize: 10 * 1024 * 1024,
      acceptLanguage: 'en',
      oembedEndpoints: [],
    });
  });

  it('refuses to turn previews on without url_preview_ip_range_blacklist', () => {
    const p = problems({ url_preview_enabled: true });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /^url_preview_ip_range_blacklist: for security, url_preview_enabled: true needs/,
    );
  });

  it('takes the keys in their Synapse forms', () => {
    const c = load({
      url_preview_enabled: true,
      url_preview_ip_range_blacklist: ['127.0.0.0/8', '::1/128'],
      url_preview_ip_range_whitelist: ['127.0.0.5'],
      url_preview_url_blacklist: [
        { netloc: '*.example.com' },
        { username: '*' },
        { netloc: '^[0-9.]+$' },
      ],
      max_spider_size: '8M',
      url_preview_accept_language: ['en-UK', 'en-US;q=0.9', '*;q=0.7'],
    }).urlPreview;
    expect(c).toMatchObject({
      enabled: true,
      ipRangeBlacklist: ['127.0.0.0/8', '::1/128'],
      ipRangeWhitelist: ['127.0.0.5'],
      maxSpiderSize: 8 * 1024 * 1024,
      acceptLanguage: 'en-UK, en-US;q=0.9, *;q=0.7',
    });
    expect(c.urlBlacklist).toHaveLength(3);
  });

  it('names each bad value', () => {
    expect(
      problems({
        url_preview_enabled: true,
        url_preview_ip_range_blacklist: ['10.0.0.0/33'],
        url_preview_ip_range_whitelist: ['nope'],
        url_preview_url_blacklist: [{ host: 'x' }, { path: '^(' }],
        max_spider_size: 'lots',
        oembed: { additional_providers: ['missing.json'] },
      }),
    ).toEqual([
      expect.stringMatching(/^url_preview_url_blacklist\[0\]\.host: not a URL part/),
      'url_preview_url_blacklist[1].path: "^(" is not a regular expression',
      'max_spider_size: expected a size such as "10M" or bytes',
      'url_preview_ip_range_blacklist[0]: "10.0.0.0/33" is not an IP address or CIDR range',
      'url_preview_ip_range_whitelist[0]: "nope" is not an IP address or CIDR range',
      expect.stringMatching(
        /^oembed\.additional_providers\[0\]: cannot read .*missing\.json as JSON/,
      ),
    ]);
  });

  it('reads oEmbed providers from providers.json files, relative to the config', () => {
    writeFileSync(
      join(dir, 'providers.json'),
      JSON.stringify([
        {
          provider_name: 'Example',
          provider_url: 'https://example.com',
          endpoints: [
            { schemes: ['https://example.com/v/*'], url: 'https://example.com/oembed.{format}' },
          ],
        },
        { provider_name: 'No endpoints' },
      ]),
    );
    expect(
      load({ oembed: { additional_providers: ['providers.json'] } }).urlPreview.oembedEndpoints,
    ).toEqual([
      {
        providerName: 'Example',
        schemes: ['https://example.com/v/*'],
        url: 'https://example.com/oembed.{format}',
      },
    ]);
  });

  it('generate-config writes previews off, with the recommended ranges ready', () => {
    const configPath = join(dir, 'gen', 'homeserver.yaml');
    generateConfig({ serverName: 'example.org', configPath, random: systemRandom });
    const text = readFileSync(configPath, 'utf8');
    expect(text).toContain('url_preview_enabled: false');
    const { config } = loadConfigFile(configPath, { env: {} });
    expect(config.urlPreview.ipRangeBlacklist).toEqual([...DEFAULT_IP_RANGE_BLACKLIST]);
    for (const range of [
      '127.0.0.0/8',
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10',
      '169.254.0.0/16',
      '224.0.0.0/4',
      '::1/128',
      'fe80::/10',
      'fc00::/7',
      'ff00::/8',
    ]) {
      expect(config.urlPreview.ipRangeBlacklist).toContain(range);
    }
  });
});
