import type { Ctx } from '../context.js';
import { randomString } from '../core/clock.js';
import { errors } from '../core/errors.js';
import { isValidServerName } from '../core/ids.js';

/** A new media id: 24 random ASCII letters, as Synapse makes them. */
export function newMediaId(ctx: Ctx): string {
  return randomString(ctx.random, 24);
}

/** The mxc:// URI of a local media id. */
export function mxcUri(ctx: Ctx, mediaId: string): string {
  return `mxc://${ctx.config.serverName}/${mediaId}`;
}

/** Spec, "Security considerations" of the content repository: only these characters. */
const MEDIA_ID_RE = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Refuses (400 M_INVALID_PARAM) a server name that is not a valid server name or a media id
 * with characters beyond A-Za-z0-9_- : the spec's guard against path traversal, checked
 * before any lookup.
 */
export function checkMediaAddress(serverName: string, mediaId: string): void {
  if (!isValidServerName(serverName)) throw errors.invalidParam('Invalid server name');
  if (!MEDIA_ID_RE.test(mediaId)) throw errors.invalidParam('Invalid media id');
}
