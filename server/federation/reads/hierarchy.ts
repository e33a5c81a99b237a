import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import {
  childEvents,
  loadRoom,
  previewableBy,
  summarise,
  type HierarchyRoom,
  type LoadedRoom,
} from '../../rooms/hierarchy.js';
import { assertServerAllowed } from '../acl.js';
import { hasMemberOfServer } from './store.js';

/**
 * GET /hierarchy/{roomId}?suggested_only= for other servers (spec "Spaces",
 * space_hierarchy.yaml): the room and its direct children, not paginated; the requesting
 * server walks further itself. Children this server does not know are left out; those the
 * server could neither peek nor join are listed by id in inaccessible_children.
 */

/**
 * Whether `origin` could peek or join the room (Synapse's _is_remote_room_accessible):
 * one of its users is joined or invited; the room is public, knockable or world readable;
 * or it is restricted and the server is in a room its allow list names (the requesting
 * server then filters by allowed_room_ids for its user).
 */
async function accessibleTo(ctx: Ctx, origin: string, room: LoadedRoom): Promise<boolean> {
  if (await hasMemberOfServer(ctx.db, room.roomId, origin, ['join', 'invite'])) return true;
  return previewableBy(room, (id) => hasMemberOfServer(ctx.db, id, origin, ['join']));
}

/** 404 for a room not known here or not accessible to `origin`; 403 when its ACL denies it. */
export async function hierarchyForServer(
  ctx: Ctx,
  origin: string,
  a: { roomId: string; suggestedOnly: boolean },
): Promise<{
  room: HierarchyRoom;
  children: HierarchyRoom[];
  inaccessible_children: string[];
}> {
  const root = await loadRoom(ctx, a.roomId);
  if (!root) throw errors.notFound(`Unknown room ${a.roomId}`);
  await assertServerAllowed(ctx, a.roomId, origin);
  if (!(await accessibleTo(ctx, origin, root))) {
    throw errors.notFound(`Room ${a.roomId} is not accessible to ${origin}`);
  }
  const rootChildren = root.isSpace ? childEvents(root.state) : [];
  const followed = a.suggestedOnly
    ? rootChildren.filter((c) => c.content.suggested === true)
    : rootChildren;
  const children: HierarchyRoom[] = [];
  const inaccessible: string[] = [];
  for (const child of followed) {
    const room = await loadRoom(ctx, child.state_key);
    if (!room) continue;
    if (await accessibleTo(ctx, origin, room)) {
      children.push(await summarise(ctx, room, room.isSpace ? childEvents(room.state) : []));
    } else {
      inaccessible.push(room.roomId);
    }
  }
  return {
    room: await summarise(ctx, root, rootChildren),
    children,
    inaccessible_children: inaccessible,
  };
}
