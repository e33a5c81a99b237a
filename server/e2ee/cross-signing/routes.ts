import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { uploadSignatures } from './upload-signatures.js';
import { uploadCrossSigningKeys } from './upload-keys.js';

const KeyObject = Type.Optional(Type.Object({}));

/**
 * POST /_matrix/client/v3/keys/device_signing/upload — publish cross-signing keys.
 * - User-interactive auth unless the user has no master key yet or nothing new is uploaded
 *   (spec v1.11, cross_signing.yaml); js-sdk's bootstrapCrossSigning relies on the first.
 * - Self-signing and user-signing keys must carry a valid signature of the master key
 *   (400 M_INVALID_SIGNATURE); none to check them with: 400 M_MISSING_PARAM.
 */
export const postDeviceSigningUpload = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/keys/device_signing/upload'],
  auth: 'required',
  schema: {
    body: Type.Object({
      master_key: KeyObject,
      self_signing_key: KeyObject,
      user_signing_key: KeyObject,
      auth: Type.Optional(Type.Object({})),
    }),
  },
  handler: async (ctx, req) => {
    await uploadCrossSigningKeys(ctx, req.requester, req.body);
    return {};
  },
});

/**
 * POST /_matrix/client/v3/keys/signatures/upload — publish cross-signing signatures.
 * - Body: user id -> key id (device id or public key) -> the signed object; another shape is
 *   400 M_BAD_JSON. Each object is judged alone: a bad one is listed under `failures`
 *   (M_INVALID_SIGNATURE, M_NOT_FOUND, M_INVALID_PARAM), the good ones are stored.
 */
export const postSignaturesUpload = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/keys/signatures/upload'],
  auth: 'required',
  schema: {
    body: Type.Record(Type.String(), Type.Record(Type.String(), Type.Object({}))),
  },
  handler: (ctx, req) => uploadSignatures(ctx, req.requester, req.body),
});

export const crossSigningRoutes = [postDeviceSigningUpload, postSignaturesUpload];
