import type { Ctx } from '../../context.js';
import { listPublicRooms } from '../../rooms/directory.js';

/**
 * GET and POST /publicRooms for other servers (spec "Published Room Directory",
 * public_rooms.yaml): this server's published rooms, through the client directory's
 * logic. Hearth has no application-service networks: include_all_networks lists the
 * same rooms, and a third_party_instance_id names no network here, so it lists none.
 */

/** The spec's default limit for servers is 0, "no limit". */
const NO_LIMIT = 1_000_000_000;

export async function publicRoomsForServer(
  ctx: Ctx,
  a: {
    limit?: number | undefined;
    since?: string | undefined;
    searchTerm?: string | undefined;
    roomTypes?: (string | null)[] | undefined;
    thirdPartyInstanceId?: string | undefined;
  },
): ReturnType<typeof listPublicRooms> {
  if (a.thirdPartyInstanceId !== undefined) return { chunk: [], total_room_count_estimate: 0 };
  return listPublicRooms(ctx, {
    limit: a.limit === undefined || a.limit === 0 ? NO_LIMIT : a.limit,
    since: a.since,
    searchTerm: a.searchTerm,
    roomTypes: a.roomTypes,
  });
}
