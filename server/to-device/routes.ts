import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { sendToDevice } from './send.js';

/**
 * PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} — send to-device messages.
 * - `messages` is user id -> device id (or `*`) -> content object; any other shape is
 *   400 M_BAD_JSON, a malformed user id 400 M_INVALID_PARAM (spec: to_device.yaml).
 * - Idempotent per (device, event type, txn id), like room sends.
 */
export const putSendToDevice = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/sendToDevice/{eventType}/{txnId}'],
  auth: 'required',
  schema: {
    params: Type.Object({
      eventType: Type.String({ minLength: 1 }),
      txnId: Type.String({ minLength: 1 }),
    }),
    body: Type.Object({
      messages: Type.Record(
        Type.String(),
        Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())),
      ),
    }),
  },
  handler: (ctx, req) =>
    sendToDevice(ctx, req.requester, { ...req.params, messages: req.body.messages }),
});

export const toDeviceRoutes = [putSendToDevice];
