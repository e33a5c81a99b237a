import { Type } from '@sinclair/typebox';
import { isServerAdmin, setServerAdmin } from '../../accounts/users.js';
import { Reply, route } from '../../http/route.js';
import { boolParam, dirParam, intParam, orderParam } from '../paging.js';
import {
  deactivateByAdmin,
  getUserDetails,
  listJoinedRooms,
  listUserDevices,
  listUsers,
  resetPassword,
  upsertUser,
  whois,
} from '../users.js';
import { USER_ORDER } from '../users-store.js';

/** Synapse's user admin API (docs/admin-api.md "Users"). */

const Str = Type.Optional(Type.String());
const NullableStr = Type.Optional(Type.Union([Type.String(), Type.Null()]));
const UserParams = Type.Object({ userId: Type.String() });

/** GET /_synapse/admin/v1/users/{userId}/admin — is this user a server admin? */
export const getUserAdmin = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/users/{userId}/admin'],
  auth: 'admin',
  schema: { params: UserParams },
  handler: async (ctx, req) => ({ admin: await isServerAdmin(ctx, req.params.userId) }),
});

/** PUT /_synapse/admin/v1/users/{userId}/admin — make a user a server admin, or not. */
export const putUserAdmin = route({
  method: 'PUT',
  paths: ['/_synapse/admin/v1/users/{userId}/admin'],
  auth: 'admin',
  schema: { params: UserParams, body: Type.Object({ admin: Type.Boolean() }) },
  handler: async (ctx, req) => {
    await setServerAdmin(ctx, req.requester.userId, req.params.userId, req.body.admin);
    return {};
  },
});

/** GET /_synapse/admin/v2/users — list accounts (paged, filtered, sorted). */
export const getUsers = route({
  method: 'GET',
  paths: ['/_synapse/admin/v2/users'],
  auth: 'admin',
  schema: {
    query: Type.Object({
      from: Str,
      limit: Str,
      name: Str,
      user_id: Str,
      guests: Str,
      deactivated: Str,
      admins: Str,
      order_by: Str,
      dir: Str,
    }),
  },
  handler: (ctx, req) => {
    const q = req.query;
    return listUsers(ctx, {
      from: intParam('from', q.from, 0),
      limit: intParam('limit', q.limit, 100),
      name: q.name || undefined,
      userId: q.user_id || undefined,
      guests: boolParam('guests', q.guests, true),
      deactivated: boolParam('deactivated', q.deactivated, false),
      admins: boolParam('admins', q.admins, undefined),
      orderBy: orderParam(q.order_by, Object.keys(USER_ORDER), 'name'),
      dir: dirParam(q.dir),
    });
  },
});

/** GET /_synapse/admin/v2/users/{userId} — one account. */
export const getUser = route({
  method: 'GET',
  paths: ['/_synapse/admin/v2/users/{userId}'],
  auth: 'admin',
  schema: { params: UserParams },
  handler: (ctx, req) => getUserDetails(ctx, req.params.userId),
});

/** PUT /_synapse/admin/v2/users/{userId} — create (201) or modify (200) an account. */
export const putUser = route({
  method: 'PUT',
  paths: ['/_synapse/admin/v2/users/{userId}'],
  auth: 'admin',
  schema: {
    params: UserParams,
    body: Type.Object({
      password: Str,
      logout_devices: Type.Optional(Type.Boolean()),
      displayname: NullableStr,
      avatar_url: NullableStr,
      admin: Type.Optional(Type.Boolean()),
      deactivated: Type.Optional(Type.Boolean()),
      user_type: NullableStr,
    }),
  },
  handler: async (ctx, req) => {
    const out = await upsertUser(ctx, req.requester.userId, req.params.userId, req.body);
    return out.created ? new Reply(201, out.user) : out.user;
  },
});

/** POST /_synapse/admin/v1/reset_password/{userId} — set a user's password. */
export const postResetPassword = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/reset_password/{userId}'],
  auth: 'admin',
  schema: {
    params: UserParams,
    body: Type.Object({
      new_password: Type.String(),
      logout_devices: Type.Optional(Type.Boolean()),
    }),
  },
  handler: async (ctx, req) => {
    await resetPassword(ctx, req.params.userId, {
      newPassword: req.body.new_password,
      logoutDevices: req.body.logout_devices ?? true,
    });
    return {};
  },
});

/** POST /_synapse/admin/v1/deactivate/{userId} — deactivate an account (erase: its profile too). */
export const postDeactivate = route({
  method: 'POST',
  paths: ['/_synapse/admin/v1/deactivate/{userId}'],
  auth: 'admin',
  schema: {
    params: UserParams,
    body: Type.Optional(Type.Object({ erase: Type.Optional(Type.Boolean()) })),
  },
  handler: async (ctx, req) => {
    await deactivateByAdmin(ctx, req.requester.userId, req.params.userId, req.body?.erase ?? false);
    return { id_server_unbind_result: 'success' };
  },
});

/** GET /_synapse/admin/v1/whois/{userId} — the user's sessions and connections. */
export const getWhois = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/whois/{userId}'],
  auth: 'admin',
  schema: { params: UserParams },
  handler: (ctx, req) => whois(ctx, req.params.userId),
});

/** GET /_synapse/admin/v2/users/{userId}/devices — the user's devices. */
export const getUserDevices = route({
  method: 'GET',
  paths: ['/_synapse/admin/v2/users/{userId}/devices'],
  auth: 'admin',
  schema: { params: UserParams },
  handler: (ctx, req) => listUserDevices(ctx, req.params.userId),
});

/** GET /_synapse/admin/v1/users/{userId}/joined_rooms — the rooms the user is in. */
export const getUserJoinedRooms = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/users/{userId}/joined_rooms'],
  auth: 'admin',
  schema: { params: UserParams },
  handler: (ctx, req) => listJoinedRooms(ctx, req.params.userId),
});

export const userRoutes = [
  getUserAdmin,
  putUserAdmin,
  getUsers,
  getUser,
  putUser,
  postResetPassword,
  postDeactivate,
  getWhois,
  getUserDevices,
  getUserJoinedRooms,
];
