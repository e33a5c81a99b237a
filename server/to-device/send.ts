import type { Requester } from '../accounts/requester.js';
import { listDeviceIdsOf } from '../accounts/devices.js';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { Tx } from '../db/sql.js';
import { splitToDeviceForEdus } from '../e2ee/federation/to-device-split.js';
import { queueToDeviceForServers } from '../federation/outgoing-edus.js';
import * as store from './store.js';

/**
 * Sending to-device messages (client-server API, "Send-to-Device messaging"): each message
 * goes to the inbox of one device of a local user, and waits there until that device syncs
 * past it (./inbox.ts).
 */

/** A request's messages: user id -> device id (or `*`) -> content. */
export type ToDeviceMessages = Record<string, Record<string, Record<string, unknown>>>;

/** How long a transaction id is remembered for retries. */
const TXN_TTL_MS = 24 * 60 * 60_000;

interface Delivery {
  userId: string;
  deviceId: string;
  contentJson: string;
}

/**
 * PUT /sendToDevice/{eventType}/{txnId}. `*` means every device the user has now; a
 * device's own entry wins over `*` (one message per device per request, as the spec asks).
 * Unknown local users and devices get nothing, as in Synapse; messages to users of other
 * servers are queued for those servers (m.direct_to_device EDUs). A retried transaction
 * (same device, event type and txn id) is answered again and delivers nothing.
 * Messages to other servers go in m.direct_to_device EDUs of at most 64 KiB, as many as
 * they need.
 * @throws MatrixError 400 M_INVALID_PARAM for a malformed user id, 413 M_TOO_LARGE when the
 *   message to one device of another server cannot fit in an EDU (nothing is sent).
 */
export async function sendToDevice(
  ctx: Ctx,
  requester: Requester,
  a: { eventType: string; txnId: string; messages: ToDeviceMessages },
): Promise<Record<string, never>> {
  for (const userId of Object.keys(a.messages)) {
    if (!parseUserId(userId)) throw errors.invalidParam(`Invalid user id: ${userId}`);
  }
  const deliveries: Delivery[] = [];
  const remote: ToDeviceMessages = {};
  for (const [userId, byDevice] of Object.entries(a.messages)) {
    if (parseUserId(userId)!.serverName !== ctx.config.serverName) {
      remote[userId] = byDevice;
      continue;
    }
    deliveries.push(...(await localDeliveries(ctx, userId, byDevice)));
  }
  const userId = requester.userId;
  const forServers = splitToDeviceForEdus(userId, a.eventType, remote);
  const deviceId = requester.deviceId;
  await ctx.writer.transaction('send_to_device', async (tx) => {
    const now = ctx.clock.now();
    await store.deleteTxnsBefore(tx, userId, deviceId, now - TXN_TTL_MS);
    const txn = { userId, deviceId, eventType: a.eventType, txnId: a.txnId, createdTs: now };
    if (!(await store.insertTxn(tx, txn))) return;
    // Users of other servers: queued for their servers in this same unit.
    for (const messages of forServers) {
      await queueToDeviceForServers(ctx, tx, { sender: userId, type: a.eventType, messages });
    }
    if (!deliveries.length) return;
    let streamId = await store.allocateToDeviceStreamIds(tx, deliveries.length);
    for (const d of deliveries) {
      await store.insertInboxMessage(tx, {
        streamId: streamId++,
        ...d,
        sender: userId,
        type: a.eventType,
      });
    }
    tx.afterCommit(() => ctx.notifier.notify(new Set(deliveries.map((d) => d.userId))));
  });
  return {};
}

/**
 * To-device messages from a user of another server (federation m.direct_to_device), for
 * local users only (others are skipped), `*` meaning every device the user has. `firstTime`
 * runs in the writer unit that delivers them and says whether they are new (the caller's
 * deduplication by message id); when it says no, nothing is delivered. Resolves with the
 * number of devices reached.
 */
export async function deliverRemoteToDevice(
  ctx: Ctx,
  a: {
    sender: string;
    type: string;
    messages: ToDeviceMessages;
    firstTime: (tx: Tx) => Promise<boolean>;
  },
): Promise<number> {
  const deliveries: Delivery[] = [];
  for (const [userId, byDevice] of Object.entries(a.messages)) {
    if (parseUserId(userId)?.serverName !== ctx.config.serverName) continue;
    deliveries.push(...(await localDeliveries(ctx, userId, byDevice)));
  }
  return ctx.writer.transaction('receive_to_device', async (tx) => {
    if (!(await a.firstTime(tx)) || !deliveries.length) return 0;
    let streamId = await store.allocateToDeviceStreamIds(tx, deliveries.length);
    for (const d of deliveries) {
      await store.insertInboxMessage(tx, {
        streamId: streamId++,
        ...d,
        sender: a.sender,
        type: a.type,
      });
    }
    tx.afterCommit(() => ctx.notifier.notify(new Set(deliveries.map((d) => d.userId))));
    return deliveries.length;
  });
}

/** The inbox rows for one local user: their named devices, and `*` for the others. */
async function localDeliveries(
  ctx: Ctx,
  userId: string,
  byDevice: Record<string, Record<string, unknown>>,
): Promise<Delivery[]> {
  const devices = await listDeviceIdsOf(ctx, userId);
  const all = byDevice['*'];
  const out: Delivery[] = [];
  for (const deviceId of devices) {
    const content = Object.hasOwn(byDevice, deviceId) ? byDevice[deviceId] : all;
    if (content) out.push({ userId, deviceId, contentJson: JSON.stringify(content) });
  }
  return out;
}
