import { listDevicesForFederation } from '../../accounts/devices.js';
import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import { isUserOf, serverPartOf } from '../../core/ids.js';
import type { Tx } from '../../db/sql.js';
import type { EventHook } from '../../events/event-hooks.js';
import type { Pdu } from '../../events/event-format.js';
import { getEventJsonMany } from '../../events/store.js';
import { destinationsForRoom } from '../../federation/sender/destinations.js';
import { queryLocalDeviceKeys } from '../keys/local-keys.js';
import { announceDeviceListChange, readingThrough } from './announce.js';
import { listJoinedMembersOfServer, listServersSharingOtherRooms } from './store.js';

/**
 * An event hook (server/events/event-hooks.ts): device-list updates "must be sent ... when
 * that user joins a room which contains servers which are not already receiving updates for
 * that user's device list" (server-server "Device Management"). When a local user joins a
 * room with such a server, or a user of a server new to the room joins one with local users,
 * every device of the local users concerned (those with keys) is announced (announce.ts):
 * the new servers, holding nothing, read the whole list (GET /user/devices) and follow it
 * from then on; the servers that already follow it apply updates that change nothing. Runs
 * in the join's writer unit, so the updates are queued with it. Best effort: a server that
 * handles the update before the join itself (EDUs do not wait for PDUs) ignores it, and
 * learns the list at its users' next /keys/query or the user's next update instead.
 */
export const announceDevicesOnJoin: EventHook = async (ctx, tx, ev) => {
  const { pdu } = ev;
  if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'join') return;
  const userId = pdu.state_key;
  if (typeof userId !== 'string' || !userId.startsWith('@')) return;
  if (await wasJoined(tx, pdu, userId)) return; // a new name or avatar, not a join
  const ours = ctx.config.serverName;
  if (isUserOf(userId, ours)) {
    const inRoom = await destinationsForRoom(ctx, tx, ev.roomId);
    if (!inRoom.length) return;
    const following = await listServersSharingOtherRooms(tx, userId, ev.roomId, ours);
    if (inRoom.some((s) => !following.has(s))) await announceAllDevices(ctx, tx, userId);
    return;
  }
  const server = serverPartOf(userId);
  const ofServer = await listJoinedMembersOfServer(tx, ev.roomId, server, false);
  if (ofServer.some((u) => u !== userId)) return; // the server was in the room already
  for (const local of await listJoinedMembersOfServer(tx, ev.roomId, ours, false)) {
    const following = await listServersSharingOtherRooms(tx, local, ev.roomId, ours);
    if (!following.has(server)) await announceAllDevices(ctx, tx, local);
  }
};

/** Whether the join's target was joined before it (its auth events hold their membership). */
async function wasJoined(tx: Tx, pdu: Pdu, userId: string): Promise<boolean> {
  const ids = pdu.auth_events.map((r) => (typeof r === 'string' ? r : r[0]));
  for (const json of (await getEventJsonMany(tx, ids)).values()) {
    const auth = JSON.parse(json) as Record<string, unknown>;
    if (auth.type !== 'm.room.member' || auth.state_key !== userId) continue;
    return isObject(auth.content) && auth.content.membership === 'join';
  }
  return false;
}

/**
 * Announces every device of a local user who has uploaded device keys. A user without any
 * has nothing other servers' clients could encrypt to, and their first upload is announced
 * anyway (markDeviceListChanged): rooms of clients without encryption send no updates.
 */
async function announceAllDevices(ctx: Ctx, tx: Tx, userId: string): Promise<void> {
  const inUnit = readingThrough(ctx, tx);
  const keys = (await queryLocalDeviceKeys(inUnit, { [userId]: [] }))[userId] ?? {};
  if (!Object.keys(keys).length) return;
  const devices = await listDevicesForFederation(inUnit, userId);
  const ids = (devices ?? []).map((d) => d.deviceId);
  if (ids.length) await announceDeviceListChange(ctx, tx, userId, ids);
}
