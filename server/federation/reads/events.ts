import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { referencedEventIds, type EventJson, type Pdu } from '../../events/event-format.js';
import { resolveStateGroups, storeFetch } from '../../events/state-res/index.js';
import { loadStateGroup } from '../../events/state-groups.js';
import * as events from '../../events/store.js';
import {
  isServable,
  openRoomForServer,
  pduTransaction,
  type ServerRoomView,
} from './room-access.js';
import { getServableEvents, type ServableEventRow } from './store.js';

/**
 * Events, states and auth chains another server reads (spec server-server API
 * "Retrieving events", "Retrieving event authorisation information"; events.yaml,
 * event_auth.yaml). Rejected events and outliers are never served (404).
 */

async function servableEvent(
  ctx: Ctx,
  eventId: string,
  roomId?: string,
): Promise<ServableEventRow> {
  const [row] = await getServableEvents(ctx.db, [eventId]);
  if (!row || !isServable(row) || (roomId !== undefined && row.room_id !== roomId)) {
    throw errors.notFound(`Event ${eventId} not found`);
  }
  return row;
}

/** State and auth events `ids` as `view` serves them, in the order given (unknown ids left out). */
async function serveState(
  ctx: Ctx,
  view: ServerRoomView,
  ids: readonly string[],
): Promise<EventJson[]> {
  const rows = new Map((await getServableEvents(ctx.db, ids)).map((r) => [r.event_id, r]));
  return ids.flatMap((id) => {
    const row = rows.get(id);
    return row ? [view.serveState(row)] : [];
  });
}

/**
 * GET /event/{eventId}: one event, as a transaction of one PDU. 404 for unknown, rejected
 * and outlier events; 403 for a server the ACL denies or that may not read the room.
 */
export async function getEventForServer(ctx: Ctx, origin: string, eventId: string) {
  const row = await servableEvent(ctx, eventId);
  const view = await openRoomForServer(ctx, row.room_id, origin);
  return pduTransaction(ctx, [await view.serve(row)]);
}

/**
 * The state before an event ("prior to considering any state changes induced by the
 * requested event"): the resolution of its prev events' states. Null when the state of a
 * prev event is not known here (an outlier, a gap).
 */
async function stateIdsBefore(
  ctx: Ctx,
  view: ServerRoomView,
  row: ServableEventRow,
): Promise<string[] | null> {
  const prevIds = referencedEventIds((JSON.parse(row.json) as Pdu).prev_events);
  const groups = new Set<number>();
  for (const prev of await getServableEvents(ctx.db, prevIds)) {
    // A rejected prev event has no state and contributes none (persist-remote.ts).
    if (events.isRejectedReason(prev.rejected_reason)) continue;
    if (prev.state_group === null) return null;
    groups.add(prev.state_group);
  }
  const states = await Promise.all([...groups].map((g) => loadStateGroup(ctx, g)));
  const state = await resolveStateGroups(view.version, states, storeFetch(ctx.db));
  return [...state.values()].sort();
}

/**
 * GET /state_ids/{roomId}?event_id= (idsOnly) and GET /state/{roomId}?event_id=: the state
 * before the event and the auth chain of that state. 404 when the event is not in the
 * room or its state is unknown here.
 */
export async function getStateForServer(
  ctx: Ctx,
  origin: string,
  a: { roomId: string; eventId: string; idsOnly: boolean },
) {
  const view = await openRoomForServer(ctx, a.roomId, origin);
  const row = await servableEvent(ctx, a.eventId, a.roomId);
  const stateIds = await stateIdsBefore(ctx, view, row);
  if (!stateIds) throw errors.notFound(`The state at ${a.eventId} is not known here`);
  const chain = [...(await storeFetch(ctx.db).authChain(stateIds))].sort();
  if (a.idsOnly) return { pdu_ids: stateIds, auth_chain_ids: chain };
  return {
    pdus: await serveState(ctx, view, stateIds),
    auth_chain: await serveState(ctx, view, chain),
  };
}

/** GET /event_auth/{roomId}/{eventId}: the event's full auth chain. */
export async function getEventAuthForServer(
  ctx: Ctx,
  origin: string,
  a: { roomId: string; eventId: string },
): Promise<{ auth_chain: EventJson[] }> {
  const view = await openRoomForServer(ctx, a.roomId, origin);
  await servableEvent(ctx, a.eventId, a.roomId);
  const chain = await events.getAuthChain(ctx.db, a.eventId);
  return { auth_chain: await serveState(ctx, view, chain) };
}
