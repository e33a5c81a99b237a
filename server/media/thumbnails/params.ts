import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS } from '../download.js';
import type { ThumbnailMethod } from './sizes.js';

/** The query of every thumbnail endpoint (client, legacy and federation), as the spec has it. */

const Digits = Type.String({ pattern: '^[0-9]{1,9}$' });

export const ThumbnailQuery = Type.Object({
  width: Digits,
  height: Digits,
  method: Type.Optional(Type.Union([Type.Literal('crop'), Type.Literal('scale')])),
  animated: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  timeout_ms: Type.Optional(Digits),
  /** Legacy endpoint only (the others ignore it): false keeps remote media from being fetched. */
  allow_remote: Type.Optional(Type.String()),
});

/** The query as getThumbnail's arguments (method: Synapse's default, scale). */
export function thumbnailArgs(q: Static<typeof ThumbnailQuery>): {
  width: number;
  height: number;
  method: ThumbnailMethod;
  animated: boolean;
  timeoutMs: number;
} {
  return {
    width: Number(q.width),
    height: Number(q.height),
    method: q.method ?? 'scale',
    animated: q.animated === 'true',
    timeoutMs: q.timeout_ms ? Number(q.timeout_ms) : DEFAULT_DOWNLOAD_TIMEOUT_MS,
  };
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Spec (v1.12): thumbnails are inline, and SHOULD name a file. */
export function thumbnailDisposition(contentType: string): string {
  return `inline; filename="thumbnail.${EXTENSIONS[contentType] ?? 'png'}"`;
}
