import { Type } from '@sinclair/typebox';
import { parseDuration, parseSize } from './units.js';

/**
 * The media store's homeserver.yaml keys (Synapse's names), their schema and their
 * resolution, kept beside each other so that the shared config files only spread them in.
 * max_upload_size and media_store_path predate the media store and stay where they were.
 */

const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String()], {
  description: 'a duration: milliseconds, or a string like "5m", "1d"',
});
const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
  description: 'a size: bytes, or a string like "50M"',
});

/** The keys, spread into ConfigSchema. */
export const MEDIA_CORE_KEYS = {
  enable_authenticated_media: Type.Optional(Type.Boolean()),
  media_upload_limits: Type.Optional(
    Type.Array(Type.Object({ time_period: Duration, max_size: Size })),
  ),
  max_pending_media_uploads: Type.Optional(Type.Integer({ minimum: 0 })),
  unused_expiration_time: Type.Optional(Duration),
};

export interface MediaCoreConfig {
  /**
   * Synapse's `enable_authenticated_media` (default true): media uploaded while it is on is
   * served only by the authenticated endpoints (/_matrix/client/v1/media), never by the
   * legacy /_matrix/media/v3/download ones.
   */
  enableAuthenticatedMedia: boolean;
  /** Synapse's `media_upload_limits`: at most maxBytes uploaded by a user per period. */
  mediaUploadLimits: { timePeriodMs: number; maxBytes: number }[];
  /** Synapse's `max_pending_media_uploads` (default 5): async uploads awaiting content. */
  maxPendingMediaUploads: number;
  /** Synapse's `unused_expiration_time` (default 24h): how long a created media id waits. */
  unusedExpirationTimeMs: number;
}

interface RawMediaCore {
  enable_authenticated_media?: boolean;
  media_upload_limits?: { time_period: number | string; max_size: number | string }[];
  max_pending_media_uploads?: number;
  unused_expiration_time?: number | string;
}

/** Resolves the keys; a bad value adds a problem to `later` (reported with the others). */
export function resolveMediaCoreConfig(c: RawMediaCore, later: string[]): MediaCoreConfig {
  const mediaUploadLimits = (c.media_upload_limits ?? []).map((l, i) => {
    const timePeriodMs = parseDuration(l.time_period);
    const maxBytes = parseSize(l.max_size);
    if (timePeriodMs === null)
      later.push(`media_upload_limits[${i}].time_period: expected a duration such as "1d"`);
    if (maxBytes === null)
      later.push(`media_upload_limits[${i}].max_size: expected a size such as "100M"`);
    return { timePeriodMs: timePeriodMs ?? 0, maxBytes: maxBytes ?? 0 };
  });
  let unusedExpirationTimeMs = 24 * 3_600_000;
  if (c.unused_expiration_time !== undefined) {
    const ms = parseDuration(c.unused_expiration_time);
    if (ms === null) later.push('unused_expiration_time: expected a duration such as "24h"');
    else unusedExpirationTimeMs = ms;
  }
  return {
    enableAuthenticatedMedia: c.enable_authenticated_media ?? true,
    mediaUploadLimits,
    maxPendingMediaUploads: c.max_pending_media_uploads ?? 5,
    unusedExpirationTimeMs,
  };
}
