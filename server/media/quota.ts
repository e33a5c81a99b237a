import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import type { Queryable } from '../db/sql.js';
import { getUploadedBytesSince } from './store.js';

/**
 * Synapse's `media_upload_limits`: for each {time_period, max_size}, what the user uploaded
 * to media created within the period, plus this upload, may not pass max_size. Refused as
 * Synapse refuses it: 400 M_RESOURCE_LIMIT_EXCEEDED "Media upload limit exceeded".
 * Checked from the declared length before the body is read, and again on the real length
 * inside the writer unit that stores it (so concurrent uploads cannot both slip under).
 */
export async function checkUploadQuota(
  ctx: Ctx,
  q: Queryable,
  userId: string,
  length: number,
): Promise<void> {
  const now = ctx.clock.now();
  for (const limit of ctx.config.mediaUploadLimits) {
    if (length > limit.maxBytes) throw limitExceeded();
    const used = await getUploadedBytesSince(q, userId, now - limit.timePeriodMs);
    if (used + length > limit.maxBytes) throw limitExceeded();
  }
}

function limitExceeded(): MatrixError {
  return new MatrixError('M_RESOURCE_LIMIT_EXCEEDED', 'Media upload limit exceeded', 400);
}
