import { errors, MatrixError } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { Ctx } from '../context.js';
import { fetchRemoteProfile } from '../federation/reads/remote.js';
import * as profileStore from './profile-store.js';
import type { Requester } from './requester.js';
import * as store from './store.js';

/**
 * Profiles (spec: client-server API, "Profiles"): displayname, avatar_url, m.tz and custom
 * namespaced fields, each stored as JSON; the whole profile stays under 64 KiB.
 */

/** The keyName grammar of the spec's OpenAPI (profile.yaml). */
const KEY_NAME_RE = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MAX_KEY_BYTES = 255;
const MAX_PROFILE_BYTES = 64 * 1024;
const MAX_DISPLAYNAME_LENGTH = 256;
const MAX_AVATAR_URL_LENGTH = 1000;

async function assertLocalUserExists(ctx: Ctx, userId: string): Promise<void> {
  const parsed = parseUserId(userId);
  if (!parsed) throw errors.invalidParam(`Invalid user id: ${userId}`);
  if (parsed.serverName !== ctx.config.serverName || !(await store.getUser(ctx.db, userId))) {
    throw errors.notFound('Profile not found');
  }
}

function assertKeyName(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new MatrixError(
      'M_KEY_TOO_LARGE',
      `Profile keys are ${MAX_KEY_BYTES} bytes at most`,
      400,
    );
  }
  if (!KEY_NAME_RE.test(key)) {
    throw errors.invalidParam(
      `Invalid profile key "${key}": use displayname, avatar_url, m.tz or a namespaced key`,
    );
  }
}

/** The server of a well-formed user id of another server, else null. */
function remoteServerOf(ctx: Ctx, userId: string): string | null {
  const parsed = parseUserId(userId);
  return parsed && parsed.serverName !== ctx.config.serverName ? parsed.serverName : null;
}

/** A local user's profile (404 for unknown users and users of other servers). */
export async function getProfile(ctx: Ctx, userId: string): Promise<Record<string, unknown>> {
  await assertLocalUserExists(ctx, userId);
  return profileStore.getProfileFields(ctx.db, userId);
}

/** GET /profile/{userId}/{keyName} */
export async function getProfileField(
  ctx: Ctx,
  userId: string,
  key: string,
): Promise<Record<string, unknown>> {
  assertKeyName(key);
  await assertLocalUserExists(ctx, userId);
  const field = await profileStore.getProfileField(ctx.db, userId, key);
  if (!field) throw errors.notFound(`The profile has no field ${key}`);
  return { [key]: field.value };
}

/**
 * GET /profile/{userId}: a local user's profile, or one of another server fetched with its
 * /query/profile (federation/reads/remote.ts: cached briefly; 404 when it says so, 502
 * when it cannot be reached). Only the client endpoints ask other servers.
 */
export async function getProfileForClient(
  ctx: Ctx,
  userId: string,
): Promise<Record<string, unknown>> {
  const remote = remoteServerOf(ctx, userId);
  return remote ? fetchRemoteProfile(ctx, { userId, serverName: remote }) : getProfile(ctx, userId);
}

/** GET /profile/{userId}/{keyName}, as getProfileForClient; 404 when the field is unset. */
export async function getProfileFieldForClient(
  ctx: Ctx,
  userId: string,
  key: string,
): Promise<Record<string, unknown>> {
  const remote = remoteServerOf(ctx, userId);
  if (!remote) return getProfileField(ctx, userId, key);
  assertKeyName(key);
  const value = (await fetchRemoteProfile(ctx, { userId, serverName: remote }))[key];
  if (value === undefined || value === null) {
    throw errors.notFound(`The profile has no field ${key}`);
  }
  return { [key]: value };
}

function assertMayEdit(requester: Requester, userId: string): void {
  if (requester.userId !== userId && !requester.isAdmin) {
    throw errors.forbidden("You cannot change another user's profile");
  }
}

/** Checks a value for the fields the spec types; null on displayname/avatar_url clears it. */
function validateValue(key: string, value: unknown): void {
  if (key === 'displayname') {
    if (value !== null && typeof value !== 'string')
      throw errors.badJson('displayname must be a string');
    if (typeof value === 'string' && [...value].length > MAX_DISPLAYNAME_LENGTH) {
      throw errors.invalidParam(
        `displayname is too long (${MAX_DISPLAYNAME_LENGTH} characters at most)`,
      );
    }
  } else if (key === 'avatar_url') {
    if (value !== null && typeof value !== 'string')
      throw errors.badJson('avatar_url must be a string');
    if (typeof value === 'string' && value !== '' && !/^mxc:\/\/[^/]+\/[^/]+$/.test(value)) {
      throw errors.invalidParam('avatar_url must be an mxc:// URI');
    }
    if (typeof value === 'string' && value.length > MAX_AVATAR_URL_LENGTH) {
      throw errors.invalidParam(
        `avatar_url is too long (${MAX_AVATAR_URL_LENGTH} characters at most)`,
      );
    }
  } else if (key === 'm.tz' && typeof value !== 'string') {
    throw errors.badJson('m.tz must be a string');
  }
}

/** PUT /profile/{userId}/{keyName}; the body holds exactly the key being set. */
export async function setProfileField(
  ctx: Ctx,
  requester: Requester,
  userId: string,
  key: string,
  body: Record<string, unknown>,
): Promise<void> {
  assertKeyName(key);
  assertMayEdit(requester, userId);
  await assertLocalUserExists(ctx, userId);
  if (!(key in body)) throw errors.missingParam(`Missing key ${key} in the request body`);
  const value = body[key];
  validateValue(key, value);
  if ((key === 'displayname' || key === 'avatar_url') && (value === null || value === '')) {
    return deleteProfileField(ctx, requester, userId, key);
  }
  const size = Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value));
  await ctx.writer.transaction('set_profile_field', async (tx) => {
    if ((await profileStore.getProfileSizeWithout(tx, userId, key)) + size > MAX_PROFILE_BYTES) {
      throw new MatrixError('M_PROFILE_TOO_LARGE', 'The profile would exceed 64 KiB', 400);
    }
    await profileStore.setProfileField(tx, userId, key, value);
  });
}

/** DELETE /profile/{userId}/{keyName} */
export async function deleteProfileField(
  ctx: Ctx,
  requester: Requester,
  userId: string,
  key: string,
): Promise<void> {
  assertKeyName(key);
  assertMayEdit(requester, userId);
  await assertLocalUserExists(ctx, userId);
  await ctx.writer.transaction('delete_profile_field', (tx) =>
    profileStore.deleteProfileField(tx, userId, key),
  );
}
