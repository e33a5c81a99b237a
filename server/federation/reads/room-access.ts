import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import type { EventJson } from '../../events/event-format.js';
import { redactEvent } from '../../events/redaction.js';
import { roomVersion, type RoomVersion } from '../../events/room-versions.js';
import * as events from '../../events/store.js';
import { assertServerAllowed } from '../acl.js';
import { assertServerMayRead, serverVisibilityTest } from '../server-visibility.js';
import type { ServableEventRow } from './store.js';

/**
 * The checks every read of a room by another server starts with, and the shape events are
 * served in. Order: the room must exist (404), the ACL must allow the server (403, spec
 * "Server Access Control Lists"), and the server must be in the room or the room world
 * readable (403, server-visibility.ts).
 */

export interface ServerRoomView {
  roomId: string;
  version: RoomVersion;
  /** The event as `origin` may see it: as stored, or redacted (redacted events, hidden ones). */
  serve(row: ServableEventRow): Promise<EventJson>;
  /**
   * A state or auth event: as stored (redacted only when it was redacted). The server is
   * in the room or the room is world readable, and it needs the state whole to check
   * events against it, as Synapse serves it.
   */
  serveState(row: ServableEventRow): EventJson;
}

/** Opens a room for reading by `origin`; throws 404 / 403 as above. */
export async function openRoomForServer(
  ctx: Ctx,
  roomId: string,
  origin: string,
): Promise<ServerRoomView> {
  const room = await events.getRoom(ctx.db, roomId);
  const version = room && roomVersion(room.room_version);
  if (!version) throw errors.notFound(`Unknown room ${roomId}`);
  await assertServerAllowed(ctx, roomId, origin);
  const { inRoom } = await assertServerMayRead(ctx, roomId, origin);
  const visible = serverVisibilityTest(ctx, origin, inRoom);
  return {
    roomId,
    version,
    async serve(row) {
      const pdu = JSON.parse(row.json) as EventJson;
      return row.redacted_by === null && (await visible(row)) ? pdu : redactEvent(pdu, version);
    },
    serveState(row) {
      const pdu = JSON.parse(row.json) as EventJson;
      return row.redacted_by === null ? pdu : redactEvent(pdu, version);
    },
  };
}

/** Whether a stored event may be served at all: not an outlier, not rejected. */
export function isServable(row: ServableEventRow): boolean {
  return row.outlier === 0 && !events.isRejectedReason(row.rejected_reason);
}

/** The transaction-shaped answer of /event and /backfill (single_pdu_transaction.yaml). */
export function pduTransaction(
  ctx: Ctx,
  pdus: EventJson[],
): { origin: string; origin_server_ts: number; pdus: EventJson[] } {
  return { origin: ctx.config.serverName, origin_server_ts: ctx.clock.now(), pdus };
}
