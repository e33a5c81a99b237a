import { isUserOf } from '../../core/ids.js';
import type { EventHook } from '../../events/event-hooks.js';
import { untrackDeviceListWithoutSharedRoom } from '../../federation/receive/device-lists.js';
import { hasLocalMember, remoteMembersOf } from './sharing.js';

/**
 * An event hook (server/events/event-hooks.ts): when a user of another server may no longer
 * share a room with a user of this one — they stopped being joined (leave, kick, ban), or
 * the last local member of a room left it — their server stops sending this one their
 * device-list updates, so the list held for them is marked to be read again before it is
 * used (Synapse likewise stops tracking such users' lists). Runs in the event's writer unit.
 */
export const untrackDeviceListOnLeave: EventHook = async (ctx, tx, ev) => {
  const { pdu } = ev;
  if (pdu.type !== 'm.room.member' || typeof pdu.state_key !== 'string') return;
  if (pdu.content.membership === 'join' || !pdu.state_key.startsWith('@')) return;
  const userId = pdu.state_key;
  if (!isUserOf(userId, ctx.config.serverName)) {
    await untrackDeviceListWithoutSharedRoom(ctx, tx, userId);
    return;
  }
  // A local user left: only the last local member's leave can end a shared room.
  if (await hasLocalMember(ctx, tx, ev.roomId)) return;
  for (const remote of await remoteMembersOf(ctx, tx, ev.roomId)) {
    await untrackDeviceListWithoutSharedRoom(ctx, tx, remote);
  }
};
