import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import type { EventJson, Pdu } from '../../events/event-format.js';
import { storeOutliers } from '../../events/persist-historical.js';
import { MissingEventsError, persistRemoteEvent } from '../../events/persist-remote.js';
import { stateKeyId, type StateMap } from '../../events/state-map.js';
import { getEventJsonMany } from '../../events/store.js';
import { checkReceivedPdu, pduEventId, type ReceivingRoom } from '../receive/pdu.js';
import { FederationTransportError } from '../types.js';

/**
 * The state before an event whose prev events this server lacks (spec server-server
 * "Retrieving events": GET /state_ids, GET /event), for backfilled history (./backfill.ts)
 * and for an event of a transaction whose gap /get_missing_events could not close
 * (receive/fetch-missing.ts). The ids come from the server that gave the event; the events
 * this server lacks, of the state and of its auth chain, are fetched one by one from it,
 * checked like any PDU (format, signatures, hashes) and stored as outliers. Their own auth
 * rules are checked when an event is persisted on that state (its auth events and the
 * state before it): a forged state cannot let an event in that its auth events refuse.
 */

const TIMEOUT_MS = 30_000;
/** The most events fetched one by one for one state (more would take minutes). */
export const MAX_FETCHED_STATE_EVENTS = 2_000;
/** Fetches in flight at once. */
const PARALLEL = 8;

/**
 * The state before `eventId` as `origin` knows it, with every event of it (and of its auth
 * chain) stored here; null, logged, when it could not be had.
 */
export async function fetchStateBefore(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  eventId: string,
): Promise<StateMap | null> {
  const path =
    `/_matrix/federation/v1/state_ids/${encodeURIComponent(room.roomId)}` +
    `?event_id=${encodeURIComponent(eventId)}`;
  let stateIds: string[];
  let chainIds: string[];
  try {
    const res = await ctx.federation.request(origin, {
      method: 'GET',
      path,
      timeoutMs: TIMEOUT_MS,
    });
    const body = isObject(res.body) ? res.body : {};
    if (res.status !== 200 || !isIdList(body.pdu_ids) || !isIdList(body.auth_chain_ids)) {
      ctx.log.info({ origin, eventId, status: res.status }, 'state_ids gave no state');
      return null;
    }
    stateIds = body.pdu_ids;
    chainIds = body.auth_chain_ids;
  } catch (err) {
    if (!(err instanceof FederationTransportError)) throw err;
    ctx.log.info({ origin, eventId, err: err.message }, 'state_ids failed');
    return null;
  }
  const wanted = [...new Set([...stateIds, ...chainIds])];
  const lacking = wanted.length - (await getEventJsonMany(ctx.db, wanted)).size;
  if (lacking > MAX_FETCHED_STATE_EVENTS) {
    ctx.log.info({ origin, eventId, lacking }, 'too many events of the state at the gap lacking');
    return null;
  }
  if (!(await fetchEventsAsOutliers(ctx, origin, room, wanted))) return null;
  const stored = await getEventJsonMany(ctx.db, stateIds);
  const state = new Map<string, string>();
  for (const id of stateIds) {
    const json = stored.get(id);
    if (json === undefined) return null;
    const pdu = JSON.parse(json) as Pdu;
    // A v12 create event names no room: its id does.
    const inRoom =
      pdu.room_id === room.roomId ||
      (pdu.room_id === undefined && id === `$${room.roomId.slice(1)}`);
    if (!inRoom || pdu.state_key === undefined) {
      ctx.log.info({ origin, eventId, stateEventId: id }, 'state_ids named a non-state event');
      return null;
    }
    state.set(stateKeyId(pdu.type, pdu.state_key), id);
  }
  return state;
}

/**
 * Fetches those of `ids` not stored here from `origin` (GET /event), checks them and stores
 * them as outliers. Resolves false when one could not be had or failed its checks.
 */
export async function fetchEventsAsOutliers(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  ids: readonly string[],
): Promise<boolean> {
  const known = await getEventJsonMany(ctx.db, ids);
  const missing = ids.filter((id) => !known.has(id));
  const fetched: { eventId: string; pdu: Pdu }[] = [];
  let ok = true;
  for (let i = 0; i < missing.length && ok; i += PARALLEL) {
    const got = await Promise.all(
      missing.slice(i, i + PARALLEL).map((id) => fetchOneEvent(ctx, origin, room, id)),
    );
    for (const g of got) {
      if (g) fetched.push(g);
      else ok = false;
    }
  }
  if (!ok) return false;
  await storeOutliers(ctx, room.roomId, fetched);
  return true;
}

/** One event from `origin`, checked and with the id asked for; null (logged) otherwise. */
async function fetchOneEvent(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  eventId: string,
): Promise<{ eventId: string; pdu: Pdu } | null> {
  try {
    const res = await ctx.federation.request(origin, {
      method: 'GET',
      path: `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`,
      timeoutMs: TIMEOUT_MS,
    });
    const pdus = isObject(res.body) ? res.body.pdus : undefined;
    const json = Array.isArray(pdus) && isObject(pdus[0]) ? (pdus[0] as EventJson) : undefined;
    if (res.status !== 200 || !json) {
      ctx.log.info({ origin, eventId, status: res.status }, 'could not fetch an event');
      return null;
    }
    // The id is the event's own (a hash of it from v3 on): a server cannot hand over another.
    if (pduEventId(json, room.version) !== eventId) {
      ctx.log.info({ origin, eventId }, 'a fetched event has another id');
      return null;
    }
    const checked = await checkReceivedPdu(ctx, room, json, eventId);
    if ('error' in checked) {
      ctx.log.info({ origin, eventId, error: checked.error }, 'dropped a fetched event');
      return null;
    }
    return checked;
  } catch (err) {
    if (!(err instanceof FederationTransportError)) throw err;
    ctx.log.info({ origin, eventId, err: err.message }, 'could not fetch an event');
    return null;
  }
}

function isIdList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((id) => typeof id === 'string' && id.startsWith('$'));
}

/**
 * Persists an event of `origin` whose prev events this server lacks and could not fetch
 * (a gap wider than /get_missing_events closes) on the state before it as `origin` gives
 * it: checked against its auth events and that state, then against the current state, as
 * any received event (persist-remote.ts). Its prev events stay missing: a hole in the
 * DAG, as Synapse leaves it. Resolves null once persisted (accepted, soft-failed, rejected
 * or stored already), else why not.
 */
export async function persistOnFetchedState(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  event: { eventId: string; pdu: Pdu },
): Promise<string | null> {
  const state = await fetchStateBefore(ctx, origin, room, event.eventId);
  if (!state) return `Could not fetch the state before ${event.eventId} from ${origin}`;
  try {
    await persistRemoteEvent(ctx, {
      version: room.version,
      roomId: room.roomId,
      eventId: event.eventId,
      pdu: event.pdu,
      stateBefore: state,
    });
    return null;
  } catch (err) {
    if (!(err instanceof MissingEventsError)) throw err;
    return `Missing ${err.kind} of ${event.eventId}: ${err.eventIds.join(', ')}`;
  }
}
