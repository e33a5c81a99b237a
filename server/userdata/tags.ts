import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { assertOwnUser, readAccountData, updateAccountData, type Content } from './account-data.js';

/**
 * Room tags (spec: client-server API, "Room Tagging"). A room's tags are its per-room
 * account data `m.tag` (`{ tags: { name: { order } } }`), so /sync delivers them as
 * account data with no extra stream.
 */

const TAG_TYPE = 'm.tag';
/** "The name of a tag MUST NOT exceed 255 bytes." */
const MAX_TAG_BYTES = 255;

type Tags = Record<string, Content>;

function tagsOf(content: Content | undefined): Tags {
  const tags = content?.tags;
  return tags && typeof tags === 'object' && !Array.isArray(tags) ? { ...(tags as Tags) } : {};
}

/** GET /user/{userId}/rooms/{roomId}/tags — `{ tags: {} }` when the room has none. */
export async function getRoomTags(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; roomId: string },
): Promise<{ tags: Tags }> {
  assertOwnUser(requester, a.userId, 'get tags');
  const content = await readAccountData(ctx, { ...a, type: TAG_TYPE });
  return { tags: tagsOf(content) };
}

/**
 * PUT /user/{userId}/rooms/{roomId}/tags/{tag} — adds the tag, or replaces its data.
 * 400 M_INVALID_PARAM for a name over 255 bytes.
 */
export async function putRoomTag(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; roomId: string; tag: string; data: Content },
): Promise<Record<string, never>> {
  assertOwnUser(requester, a.userId, 'add tags');
  if (Buffer.byteLength(a.tag) > MAX_TAG_BYTES) {
    throw errors.invalidParam(`Tag names are ${MAX_TAG_BYTES} bytes at most`);
  }
  await updateAccountData(
    ctx,
    { userId: a.userId, roomId: a.roomId, type: TAG_TYPE },
    async (c) => ({
      ...c,
      tags: { ...tagsOf(c), [a.tag]: a.data },
    }),
  );
  return {};
}

/** DELETE /user/{userId}/rooms/{roomId}/tags/{tag} — removing an absent tag is a no-op. */
export async function deleteRoomTag(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; roomId: string; tag: string },
): Promise<Record<string, never>> {
  assertOwnUser(requester, a.userId, 'remove tags');
  await updateAccountData(
    ctx,
    { userId: a.userId, roomId: a.roomId, type: TAG_TYPE },
    async (c) => {
      const tags = tagsOf(c);
      if (!(a.tag in tags)) return null;
      delete tags[a.tag];
      return { ...c, tags };
    },
  );
  return {};
}
