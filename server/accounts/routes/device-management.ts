import { Type } from '@sinclair/typebox';
import { deleteDevices, getDevice, listDevices, renameDevice } from '../devices.js';
import { route } from '../../http/route.js';

const DeviceParams = Type.Object({ deviceId: Type.String({ minLength: 1 }) });
const AuthBody = Type.Object({ auth: Type.Optional(Type.Object({})) });

/** GET /_matrix/client/v3/devices — the user's devices. */
export const getDevices = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/devices'],
  auth: 'required',
  handler: async (ctx, req) => ({ devices: await listDevices(ctx, req.requester) }),
});

/** GET /_matrix/client/v3/devices/{deviceId} — one device; 404 when it is not the user's. */
export const getOneDevice = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/devices/{deviceId}'],
  auth: 'required',
  schema: { params: DeviceParams },
  handler: (ctx, req) => getDevice(ctx, req.requester, req.params.deviceId),
});

/** PUT /_matrix/client/v3/devices/{deviceId} — rename a device. */
export const putDevice = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/devices/{deviceId}'],
  auth: 'required',
  schema: {
    params: DeviceParams,
    body: Type.Object({ display_name: Type.Optional(Type.String()) }),
  },
  handler: async (ctx, req) => {
    await renameDevice(ctx, req.requester, req.params.deviceId, req.body.display_name);
    return {};
  },
});

/** DELETE /_matrix/client/v3/devices/{deviceId} — log a device out (User-Interactive Auth). */
export const deleteDevice = route({
  method: 'DELETE',
  paths: ['/_matrix/client/v3/devices/{deviceId}'],
  auth: 'required',
  schema: { params: DeviceParams, body: Type.Optional(AuthBody) },
  handler: async (ctx, req) => {
    await deleteDevices(ctx, req.requester, [req.params.deviceId], req.body?.auth, {
      uri: `/devices/${req.params.deviceId}`,
      method: 'DELETE',
    });
    return {};
  },
});

/** POST /_matrix/client/v3/delete_devices — log several devices out (User-Interactive Auth). */
export const postDeleteDevices = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/delete_devices'],
  auth: 'required',
  schema: {
    body: Type.Object({
      devices: Type.Array(Type.String(), { maxItems: 1000 }),
      auth: Type.Optional(Type.Object({})),
    }),
  },
  handler: async (ctx, req) => {
    await deleteDevices(ctx, req.requester, req.body.devices, req.body.auth, {
      uri: '/delete_devices',
      method: 'POST',
    });
    return {};
  },
});

export const deviceRoutes = [getDevices, getOneDevice, putDevice, deleteDevice, postDeleteDevices];
