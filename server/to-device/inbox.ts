import type { Ctx } from '../context.js';
import { createCache, type Cache } from '../core/cache.js';
import { positionAtCommit } from '../sync/stream-positions.js';
import * as store from './store.js';

/**
 * A device's to-device inbox as /sync reads it (client-server API, "Send-to-Device
 * messaging", server behaviour): pending messages in order of arrival, at most
 * MAX_PER_SYNC per response, deleted once the device syncs with a later `since`.
 */

/**
 * By device ("user\0device"), a position up to which its inbox is known to be empty: a
 * long-poll's every pass, and the passes of the syncs one event wakes, would otherwise each
 * ask the database whether there is something to acknowledge.
 */
const ackedPositions = new WeakMap<Ctx, Cache<string, number>>();

function ackedOf(ctx: Ctx): Cache<string, number> {
  let c = ackedPositions.get(ctx);
  if (!c) ackedPositions.set(ctx, (c = createCache(ctx.config.caches, 'to_device_acked', 10_000)));
  return c;
}

/** The spec's recommended cap on messages per /sync response. */
export const MAX_PER_SYNC = 100;

export interface ToDeviceEvent {
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

export interface ToDeviceDelta {
  /** The stream position the delta reaches, for the next /sync token. */
  streamId: number;
  events: ToDeviceEvent[];
}

/**
 * The newest position of the to-device stream, read once per commit and shared by the
 * /sync passes until the next (sync/stream-positions.ts).
 */
export function toDevicePosition(ctx: Ctx): Promise<number> {
  return positionAtCommit(ctx, 'to_device', () => store.getToDeviceStreamId(ctx.db));
}

/**
 * Acknowledges what the device received up to `since` (deleting it), then reads what is
 * pending after it. When more than MAX_PER_SYNC wait, the position stops at the last one
 * sent, so the next /sync carries on from there.
 */
export async function takeToDeviceMessages(
  ctx: Ctx,
  userId: string,
  deviceId: string,
  since: number,
): Promise<ToDeviceDelta> {
  const upTo = await toDevicePosition(ctx);
  const key = `${userId}\u0000${deviceId}`;
  const acked = ackedOf(ctx);
  if (since > (acked.get(key) ?? 0)) {
    if (await store.hasInboxMessagesUpTo(ctx.db, userId, deviceId, since)) {
      await ctx.writer.transaction('ack_to_device', (tx) =>
        store.deleteInboxMessagesUpTo(tx, userId, deviceId, since),
      );
    }
    // Nothing at or below `since` is left, and nothing can come there: new messages take
    // positions above every position handed out, which `since` is one of.
    acked.set(key, since);
  }
  // Nothing can be pending after a token already at the stream's end: skip the read.
  const rows =
    since >= upTo
      ? []
      : await store.getInboxMessages(ctx.db, {
          userId,
          deviceId,
          after: since,
          upTo,
          limit: MAX_PER_SYNC + 1,
        });
  const batch = rows.slice(0, MAX_PER_SYNC);
  return {
    streamId: rows.length > MAX_PER_SYNC ? batch.at(-1)!.stream_id : upTo,
    events: batch.map((r) => ({
      sender: r.sender,
      type: r.type,
      content: JSON.parse(r.content_json) as Record<string, unknown>,
    })),
  };
}
