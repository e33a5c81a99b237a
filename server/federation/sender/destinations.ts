import type { Ctx } from '../../context.js';
import { serverPartOf } from '../../core/ids.js';
import type { Queryable } from '../../db/sql.js';
import type { EventHook } from '../../events/event-hooks.js';
import type { StateMap } from '../../events/state-map.js';
import { queuePduForDestinations, sendableDestinations } from './queue.js';
import * as store from './store.js';

/**
 * Who an event or an EDU of a room goes to: the servers of the room's joined members
 * (spec: "the servers of all users in the room"), never this server.
 */

const MEMBER_PREFIX = 'm.room.member\u0000';

/**
 * Whether a room state names a member (of any membership) of another server, by its keys
 * alone; kept per state map, which the events of a room share until its state changes.
 */
function mayHaveRemoteMembers(ctx: Ctx, state: StateMap): boolean {
  let known = remoteMemberStates.get(state);
  if (known === undefined) {
    known = false;
    for (const k of state.keys()) {
      if (
        k.startsWith(MEMBER_PREFIX) &&
        serverPartOf(k.slice(MEMBER_PREFIX.length)) !== ctx.config.serverName
      ) {
        known = true;
        break;
      }
    }
    remoteMemberStates.set(state, known);
  }
  return known;
}

const remoteMemberStates = new WeakMap<StateMap, boolean>();

/**
 * The servers, other than this one, with a joined member in the room's current state
 * (read through `q`: inside a writer unit, pass its tx to see that unit's writes).
 */
export async function destinationsForRoom(
  ctx: Ctx,
  q: Queryable,
  roomId: string,
): Promise<string[]> {
  return sendableDestinations(
    ctx,
    await store.listRemoteJoinedServers(q, roomId, ctx.config.serverName),
  );
}

/**
 * The servers that share a room with this one: joined to a room one of our users is
 * joined to. Start and resume contact each of them (sender.ts).
 */
export async function destinationsSharingRooms(ctx: Ctx): Promise<string[]> {
  return sendableDestinations(
    ctx,
    await store.listServersSharingRooms(ctx.db, ctx.config.serverName),
  );
}

/** The servers, other than this one, sharing a room with `userId` (where its presence goes). */
export async function destinationsForUser(ctx: Ctx, userId: string): Promise<string[]> {
  return sendableDestinations(
    ctx,
    await store.listServersSharingRoomsWithUser(ctx.db, userId, ctx.config.serverName),
  );
}

/**
 * An event hook (server/events/event-hooks.ts) that queues each event made on this server
 * for the servers in its room: those joined after it, and for a membership event that
 * removes a user of another server (kick, ban, rescinded invite), that user's server too,
 * which is no longer joined but must hear of it (Synapse does the same).
 * Events of other servers are their origin's to send, and are skipped, but for those a
 * server handed over to be passed on (send_join, send_leave, send_knock: `relayedFrom`),
 * which go to every server of the room but that one.
 */
export const queueEventForFederation: EventHook = async (ctx, tx, ev) => {
  // Other servers' events are theirs to send, but those handed to this one to pass on.
  const local = serverPartOf(ev.pdu.sender) === ctx.config.serverName;
  if (!local && ev.relayedFrom === undefined) return;
  // Most rooms have only local members: their events skip the query below.
  if (!mayHaveRemoteMembers(ctx, ev.stateAfter)) return;
  const destinations = await destinationsForRoom(ctx, tx, ev.roomId);
  if (ev.pdu.type === 'm.room.member' && typeof ev.pdu.state_key === 'string') {
    const membership = ev.pdu.content.membership;
    if (membership === 'leave' || membership === 'ban') {
      destinations.push(serverPartOf(ev.pdu.state_key));
    }
  }
  await queuePduForDestinations(
    ctx,
    tx,
    ev,
    destinations.filter((d) => d !== ev.relayedFrom),
  );
};
