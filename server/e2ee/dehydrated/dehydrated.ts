import type { Requester } from '../../accounts/requester.js';
import { removeDevices } from '../../accounts/sessions.js';
import { addTokenLessDevice, hasDevice } from '../../accounts/token-less-devices.js';
import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { KeyedQueue } from '../../events/room-queue.js';
import { peekToDeviceMessages } from '../../to-device/peek.js';
import type { ToDeviceEvent } from '../../to-device/inbox.js';
import { assertNotGuest } from '../backup/versions.js';
import { storeUploadedKeys, type UploadBody } from '../keys/upload.js';
import { validateUpload } from '../keys/validate-upload.js';
import * as store from './store.js';

/**
 * Dehydrated devices (MSC3814, the unstable endpoints matrix-js-sdk 36 calls): a client
 * leaves a device on the server, with its keys and its private state encrypted
 * (`device_data`), so that room keys sent while the user has no client running can be read
 * later by rehydrating it. The server keeps at most one per user; it is a device without
 * an access token, so it is listed, queried and sent to-device messages like any other.
 */

/** Messages per POST /dehydrated_device/{device_id}/events answer, as /sync's cap. */
const EVENTS_PER_BATCH = 100;
/** Device ids are at most 255 characters, as every Matrix identifier. */
const MAX_DEVICE_ID_LENGTH = 255;

/**
 * By user, changes of the dehydrated device run one at a time: a PUT is two writer units
 * (the device, then its keys), and a second PUT or a DELETE between them would leave keys
 * behind for a device already replaced.
 */
const changeQueues = new WeakMap<Ctx, KeyedQueue>();

function changeQueue(ctx: Ctx): KeyedQueue {
  let q = changeQueues.get(ctx);
  if (!q) changeQueues.set(ctx, (q = new KeyedQueue()));
  return q;
}

export interface DehydratedDevice {
  device_id: string;
  device_data: Record<string, unknown>;
}

/**
 * PUT /dehydrated_device: stores the user's new dehydrated device with its keys (the same
 * checks as POST /keys/upload, made before anything is stored), replacing and deleting any
 * earlier one (its keys and messages go with it). A repeated PUT of the same device id
 * starts that device afresh.
 * @throws MatrixError 400 M_INVALID_PARAM when the id is that of another of the user's
 * devices, or for keys of another device or badly signed; 400 M_BAD_JSON for malformed keys.
 */
export async function putDehydratedDevice(
  ctx: Ctx,
  requester: Requester,
  a: {
    deviceId: string;
    deviceData: Record<string, unknown>;
    displayName: string | null;
    keys: UploadBody;
  },
): Promise<{ device_id: string }> {
  assertNotGuest(requester);
  const { userId } = requester;
  const { deviceId } = a;
  if (deviceId === '' || deviceId.length > MAX_DEVICE_ID_LENGTH) {
    throw errors.invalidParam('Invalid device_id');
  }
  // Thrown here, before anything is stored.
  const upload = validateUpload(userId, deviceId, a.keys);
  await changeQueue(ctx).run(userId, () =>
    // One unit: the device, its data and its keys (stored by the keys domain, as if the
    // dehydrated device uploaded them itself) are there together or not at all.
    ctx.writer.transaction('put_dehydrated_device', async (tx) => {
      const old = await store.getDehydratedDevice(tx, userId);
      if (old?.device_id !== deviceId && (await hasDevice(tx, userId, deviceId))) {
        throw errors.invalidParam('device_id is the id of another of your devices');
      }
      if (old) await removeDevices(ctx, tx, userId, [old.device_id]);
      await addTokenLessDevice(ctx, tx, { userId, deviceId, displayName: a.displayName });
      await store.setDehydratedDevice(tx, {
        userId,
        deviceId,
        deviceDataJson: JSON.stringify(a.deviceData),
        createdTs: ctx.clock.now(),
      });
      await storeUploadedKeys(ctx, tx, userId, deviceId, upload);
    }),
  );
  ctx.log.info({ userId, deviceId }, 'dehydrated device stored');
  return { device_id: deviceId };
}

/**
 * GET /dehydrated_device: the user's dehydrated device and its data.
 * @throws MatrixError 404 M_NOT_FOUND when there is none (clients read this answer as "the
 * server supports dehydration, and there is nothing to rehydrate").
 */
export async function getDehydratedDevice(
  ctx: Ctx,
  requester: Requester,
): Promise<DehydratedDevice> {
  assertNotGuest(requester);
  const row = await store.getDehydratedDevice(ctx.db, requester.userId);
  if (!row) throw errors.notFound('No dehydrated device available');
  return {
    device_id: row.device_id,
    device_data: JSON.parse(row.device_data_json) as Record<string, unknown>,
  };
}

/**
 * DELETE /dehydrated_device: deletes the user's dehydrated device (its keys and messages).
 * @throws MatrixError 404 M_NOT_FOUND when there is none.
 */
export async function deleteDehydratedDevice(
  ctx: Ctx,
  requester: Requester,
): Promise<{ device_id: string }> {
  assertNotGuest(requester);
  const { userId } = requester;
  const deviceId = await changeQueue(ctx).run(userId, () =>
    ctx.writer.transaction('delete_dehydrated_device', async (tx) => {
      const row = await store.getDehydratedDevice(tx, userId);
      if (!row) throw errors.notFound('No dehydrated device available');
      await removeDevices(ctx, tx, userId, [row.device_id]);
      return row.device_id;
    }),
  );
  return { device_id: deviceId };
}

/**
 * POST /dehydrated_device/{device_id}/events: the to-device messages sent to the dehydrated
 * device, a batch at a time from `next_batch`. Nothing is deleted (MSC3814: an interrupted
 * rehydration can start over); the batch after the last answers no events, with a token.
 * @throws MatrixError 403 M_FORBIDDEN when `device_id` is not the user's dehydrated device;
 * 400 M_INVALID_PARAM for a `next_batch` this server did not give.
 */
export async function dehydratedDeviceEvents(
  ctx: Ctx,
  requester: Requester,
  a: { deviceId: string; nextBatch: string | undefined },
): Promise<{ events: ToDeviceEvent[]; next_batch: string }> {
  assertNotGuest(requester);
  const { userId } = requester;
  const row = await store.getDehydratedDevice(ctx.db, userId);
  if (!row || row.device_id !== a.deviceId) {
    throw errors.forbidden('That device is not your dehydrated device');
  }
  let after = 0;
  if (a.nextBatch !== undefined) {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(a.nextBatch)) throw errors.invalidParam('Bad next_batch');
    after = Number(a.nextBatch);
  }
  const { position, events } = await peekToDeviceMessages(ctx, {
    userId,
    deviceId: a.deviceId,
    after,
    limit: EVENTS_PER_BATCH,
  });
  return { events, next_batch: String(position) };
}
