import type { Ctx } from '../context.js';
import type { ToDeviceEvent } from './inbox.js';
import * as store from './store.js';

/**
 * Reading a device's inbox without acknowledging anything: for MSC3814's
 * POST /dehydrated_device/{device_id}/events, where messages stay until the dehydrated
 * device itself is deleted, so that an interrupted rehydration can start again.
 */

/**
 * Up to `limit` messages of the device's inbox after position `after`, oldest first, and
 * the position of the last one (`after` when there are none).
 */
export async function peekToDeviceMessages(
  ctx: Ctx,
  a: { userId: string; deviceId: string; after: number; limit: number },
): Promise<{ position: number; events: ToDeviceEvent[] }> {
  const upTo = await store.getToDeviceStreamId(ctx.db);
  const rows =
    a.after >= upTo ? [] : await store.getInboxMessages(ctx.db, { ...a, upTo, limit: a.limit });
  return {
    position: rows.at(-1)?.stream_id ?? a.after,
    events: rows.map((r) => ({
      sender: r.sender,
      type: r.type,
      content: JSON.parse(r.content_json) as Record<string, unknown>,
    })),
  };
}
