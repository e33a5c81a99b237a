import { describe, expect, test } from 'vitest';
import { ConfigError, resolveConfig } from '../../../server/core/config/load.js';

// The media store's homeserver.yaml keys: Synapse's names, defaults and value formats.

function resolve(raw: Record<string, unknown>) {
  return resolveConfig({ server_name: 'example.com', ...raw }, '/srv/hearth/homeserver.yaml', {
    signingKeys: [],
    env: {},
  }).config;
}

describe('media store config', () => {
  test('defaults: authenticated media on, no quota, 5 pending uploads for 24h', () => {
    const c = resolve({});
    expect(c.enableAuthenticatedMedia).toBe(true);
    expect(c.mediaUploadLimits).toEqual([]);
    expect(c.maxPendingMediaUploads).toBe(5);
    expect(c.unusedExpirationTimeMs).toBe(86_400_000);
    expect(c.mediaStorePath).toBe('/srv/hearth/media_store');
  });

  test("Synapse's formats for durations and sizes", () => {
    const c = resolve({
      enable_authenticated_media: false,
      media_upload_limits: [
        { time_period: '1h', max_size: '100M' },
        { time_period: 604_800_000, max_size: 1024 },
      ],
      max_pending_media_uploads: 2,
      unused_expiration_time: '30m',
    });
    expect(c.enableAuthenticatedMedia).toBe(false);
    expect(c.mediaUploadLimits).toEqual([
      { timePeriodMs: 3_600_000, maxBytes: 100 * 1024 * 1024 },
      { timePeriodMs: 604_800_000, maxBytes: 1024 },
    ]);
    expect(c.maxPendingMediaUploads).toBe(2);
    expect(c.unusedExpirationTimeMs).toBe(1_800_000);
  });

  test('bad values stop the start with the key named', () => {
    let err: unknown;
    try {
      resolve({
        media_upload_limits: [{ time_period: 'soon', max_size: 'lots' }],
        unused_expiration_time: 'never',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toContain('media_upload_limits[0].time_period');
    expect(problems).toContain('media_upload_limits[0].max_size');
    expect(problems).toContain('unused_expiration_time');
  });
});
