import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { openRoomForServer } from './room-access.js';
import { getEventsByTimestamp } from './store.js';

/**
 * GET /timestamp_to_event/{roomId}?ts=&dir= (spec "Retrieving events", events.yaml): the
 * event closest to `ts` in direction `dir`, for a server that may read the room (it then
 * fetches the event with /event, which applies history visibility). 404 M_NOT_FOUND when
 * there is none.
 */
export async function timestampToEventForServer(
  ctx: Ctx,
  origin: string,
  a: { roomId: string; ts: number; dir: 'b' | 'f' },
): Promise<{ event_id: string; origin_server_ts: number }> {
  await openRoomForServer(ctx, a.roomId, origin);
  const [found] = await getEventsByTimestamp(ctx.db, { ...a, limit: 1 });
  if (!found) {
    const way = a.dir === 'f' ? 'forward' : 'backward';
    throw errors.notFound(`Unable to find event from ${a.ts} in ${way} direction`);
  }
  return found;
}
