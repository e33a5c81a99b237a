import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import {
  deleteDehydratedDevice,
  dehydratedDeviceEvents,
  getDehydratedDevice,
  putDehydratedDevice,
} from './dehydrated.js';

/** Dehydrated devices, at the unstable paths of MSC3814 that matrix-js-sdk 36 calls. */

const MSC3814 = '/_matrix/client/unstable/org.matrix.msc3814.v1';
const JsonObject = Type.Record(Type.String(), Type.Unknown());

/**
 * PUT /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device — store the user's
 * dehydrated device, replacing any earlier one.
 * - device_keys is required (a dehydrated device that cannot be encrypted to is useless);
 *   one_time_keys and fallback_keys as in POST /keys/upload.
 */
const putDevice = route({
  method: 'PUT',
  paths: [`${MSC3814}/dehydrated_device`],
  auth: 'required',
  schema: {
    body: Type.Object({
      device_id: Type.String({ minLength: 1 }),
      device_data: Type.Object({ algorithm: Type.String({ minLength: 1 }) }),
      initial_device_display_name: Type.Optional(Type.String({ maxLength: 100 })),
      device_keys: JsonObject,
      one_time_keys: Type.Optional(Type.Unknown()),
      fallback_keys: Type.Optional(Type.Unknown()),
    }),
  },
  handler: (ctx, req) =>
    putDehydratedDevice(ctx, req.requester, {
      deviceId: req.body.device_id,
      deviceData: req.body.device_data,
      displayName: req.body.initial_device_display_name ?? null,
      keys: {
        device_keys: req.body.device_keys,
        one_time_keys: req.body.one_time_keys,
        fallback_keys: req.body.fallback_keys,
      },
    }),
});

/** GET /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device — 404 M_NOT_FOUND for none. */
const getDevice = route({
  method: 'GET',
  paths: [`${MSC3814}/dehydrated_device`],
  auth: 'required',
  handler: (ctx, req) => getDehydratedDevice(ctx, req.requester),
});

/** DELETE /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device — 404 for none. */
const deleteDevice = route({
  method: 'DELETE',
  paths: [`${MSC3814}/dehydrated_device`],
  auth: 'required',
  handler: (ctx, req) => deleteDehydratedDevice(ctx, req.requester),
});

/**
 * POST /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device/{deviceId}/events —
 * the dehydrated device's to-device messages, a batch at a time.
 * - 403 M_FORBIDDEN for a device that is not the user's dehydrated device.
 */
const postEvents = route({
  method: 'POST',
  paths: [`${MSC3814}/dehydrated_device/{deviceId}/events`],
  auth: 'required',
  schema: {
    params: Type.Object({ deviceId: Type.String({ minLength: 1 }) }),
    body: Type.Optional(Type.Object({ next_batch: Type.Optional(Type.String()) })),
  },
  handler: (ctx, req) =>
    dehydratedDeviceEvents(ctx, req.requester, {
      deviceId: req.params.deviceId,
      nextBatch: req.body?.next_batch,
    }),
});

export const dehydratedDeviceRoutes = [putDevice, getDevice, deleteDevice, postEvents];
