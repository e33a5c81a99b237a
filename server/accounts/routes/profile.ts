import { Type } from '@sinclair/typebox';
import {
  deleteProfileField,
  getProfileFieldForClient,
  getProfileForClient,
  setProfileField,
} from '../profile.js';
import { route } from '../../http/route.js';

const UserParams = Type.Object({ userId: Type.String() });
const FieldParams = Type.Object({ userId: Type.String(), keyName: Type.String() });

/** GET /_matrix/client/v3/profile/{userId} — every profile field of a user (of any server). */
export const getUserProfile = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/profile/{userId}'],
  auth: 'none',
  schema: { params: UserParams },
  handler: (ctx, req) => getProfileForClient(ctx, req.params.userId),
});

/** GET /_matrix/client/v3/profile/{userId}/{keyName} — one field; 404 when unset. */
export const getUserProfileField = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/profile/{userId}/{keyName}'],
  auth: 'none',
  schema: { params: FieldParams },
  handler: (ctx, req) => getProfileFieldForClient(ctx, req.params.userId, req.params.keyName),
});

/**
 * PUT /_matrix/client/v3/profile/{userId}/{keyName} — set one field of one's own profile.
 * - displayname: string; avatar_url: mxc URI; null or "" on these two clears them.
 * - M_KEY_TOO_LARGE over 255 bytes of key, M_PROFILE_TOO_LARGE over 64 KiB in all.
 */
export const putUserProfileField = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/profile/{userId}/{keyName}'],
  auth: 'required',
  // No minProperties: a body without the key, {} included, is M_MISSING_PARAM (spec), not M_BAD_JSON.
  schema: { params: FieldParams, body: Type.Object({}) },
  handler: async (ctx, req) => {
    await setProfileField(ctx, req.requester, req.params.userId, req.params.keyName, req.body);
    return {};
  },
});

/** DELETE /_matrix/client/v3/profile/{userId}/{keyName} — remove one field. */
export const deleteUserProfileField = route({
  method: 'DELETE',
  paths: ['/_matrix/client/v3/profile/{userId}/{keyName}'],
  auth: 'required',
  schema: { params: FieldParams },
  handler: async (ctx, req) => {
    await deleteProfileField(ctx, req.requester, req.params.userId, req.params.keyName);
    return {};
  },
});

export const profileRoutes = [
  getUserProfile,
  getUserProfileField,
  putUserProfileField,
  deleteUserProfileField,
];
