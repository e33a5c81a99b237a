import type { Ctx } from '../../context.js';
import { isObject } from '../../core/is-object.js';
import { domainOf } from '../../events/auth/types.js';
import { referencedEventIds, type EventJson } from '../../events/event-format.js';
import {
  eventsNeedingState,
  persistHistoricalEvents,
  type HistoricalEvent,
} from '../../events/persist-historical.js';
import { roomVersion } from '../../events/room-versions.js';
import type { StateMap } from '../../events/state-map.js';
import { getCurrentStateEventJson, getEventRow, getRoom } from '../../events/store.js';
import { checkReceivedPdu, pduEventId, type ReceivingRoom } from '../receive/pdu.js';
import { destinationsForRoom } from '../sender/destinations.js';
import { FederationTransportError } from '../types.js';
import { backwardExtremities } from './backward-extremities.js';
import { fetchEventsAsOutliers, fetchStateBefore } from './state-at-gap.js';

/**
 * History older than what this server has (spec server-server "Backfilling and retrieving
 * missing events", GET /backfill): when a client pages back past the start of a room's
 * stored timeline (rooms/timeline.ts), the servers in the room are asked, most likely
 * first, for the events before it; each is checked (format, signatures, hashes) and
 * persisted as history (events/persist-historical.ts: auth rules, no soft-fail, below
 * every stored event in the stream). The oldest events of an answer, whose prev events
 * are not known here, are persisted on the state before them as their server gives it
 * (GET /state_ids, GET /event: ./state-at-gap.ts).
 */

/** The most events one request asks for (the /backfill answer's own bound is 100). */
export const MAX_BACKFILL_EVENTS = 100;
/** States fetched per round: an answer normally has one oldest event, a fork a few. */
const MAX_STATE_FETCHES = 4;
const TIMEOUT_MS = 20_000;
/** After a round that brought nothing, the same extremities are not asked about again for this long. */
const RETRY_AFTER_MS = 60_000;
/** Servers tried per round. */
const MAX_SERVERS = 5;

/** Per server (keyed by ctx): room -> the extremities that brought nothing, and until when. */
const fruitless = new WeakMap<Ctx, Map<string, { key: string; until: number }>>();

export interface BackfillResult {
  /** Events persisted as history (accepted; rejected ones are not counted). */
  persisted: number;
  /** The server that answered, if any. */
  from?: string;
}

/**
 * Fetches up to `limit` events of history before the start of the room's stored timeline
 * from the servers in the room, and persists them. Does nothing (no request) when the room
 * has no backward extremities, as a room created here. Failures of other servers are
 * logged and move on to the next server; `deadline` (ms since epoch, ctx.clock) bounds
 * the whole round.
 */
export function backfillRoom(
  ctx: Ctx,
  roomId: string,
  limit: number,
  opts: { deadline?: number } = {},
): Promise<BackfillResult> {
  // Clients paging back together in one room share one round, as they would ask the same.
  let running = inFlight.get(ctx);
  if (!running) inFlight.set(ctx, (running = new Map()));
  const held = running.get(roomId);
  if (held) return held;
  const round = backfillRound(ctx, roomId, limit, opts).finally(() => running.delete(roomId));
  running.set(roomId, round);
  return round;
}

/** Per server (keyed by ctx): room -> the round running for it. */
const inFlight = new WeakMap<Ctx, Map<string, Promise<BackfillResult>>>();

async function backfillRound(
  ctx: Ctx,
  roomId: string,
  limit: number,
  opts: { deadline?: number },
): Promise<BackfillResult> {
  const extremities = await backwardExtremities(ctx, roomId);
  if (!extremities.length) return { persisted: 0 };
  const room = await receivingRoom(ctx, roomId);
  if (!room) return { persisted: 0 };
  const key = extremities.join(',');
  const memo = fruitless.get(ctx) ?? new Map<string, { key: string; until: number }>();
  fruitless.set(ctx, memo);
  const tried = memo.get(roomId);
  if (tried && tried.key === key && tried.until > ctx.clock.now()) return { persisted: 0 };

  const n = Math.max(1, Math.min(limit, MAX_BACKFILL_EVENTS));
  for (const server of await serversToAsk(ctx, roomId)) {
    if (opts.deadline !== undefined && ctx.clock.now() >= opts.deadline) break;
    const events = await askServer(ctx, server, room, extremities, n, opts.deadline);
    if (!events) continue;
    const persisted = await persistBatch(ctx, server, room, events, opts.deadline);
    if (persisted > 0) {
      memo.delete(roomId);
      return { persisted, from: server };
    }
  }
  memo.set(roomId, { key, until: ctx.clock.now() + RETRY_AFTER_MS });
  return { persisted: 0 };
}

/**
 * The servers to ask, most likely to hold the history first: the creator's server (in the
 * room the longest), then the other servers with joined members.
 */
async function serversToAsk(ctx: Ctx, roomId: string): Promise<string[]> {
  const servers = await destinationsForRoom(ctx, ctx.db, roomId);
  const create = await getCurrentStateEventJson(ctx.db, roomId, 'm.room.create', '');
  const creator = create
    ? domainOf(String((JSON.parse(create.json) as { sender: string }).sender))
    : undefined;
  const ordered =
    creator && servers.includes(creator)
      ? [creator, ...servers.filter((s) => s !== creator)]
      : servers;
  return ordered.slice(0, MAX_SERVERS);
}

async function receivingRoom(ctx: Ctx, roomId: string): Promise<ReceivingRoom | null> {
  const row = await getRoom(ctx.db, roomId);
  const version = row ? roomVersion(row.room_version) : undefined;
  return version ? { roomId, version } : null;
}

/** GET /backfill from one server: the checked events of its answer, or null (logged). */
async function askServer(
  ctx: Ctx,
  server: string,
  room: ReceivingRoom,
  from: readonly string[],
  limit: number,
  deadline: number | undefined,
): Promise<HistoricalEvent[] | null> {
  const query = [...from.map((id) => `v=${encodeURIComponent(id)}`), `limit=${limit}`].join('&');
  const path = `/_matrix/federation/v1/backfill/${encodeURIComponent(room.roomId)}?${query}`;
  const timeoutMs =
    deadline === undefined
      ? TIMEOUT_MS
      : Math.max(1, Math.min(TIMEOUT_MS, deadline - ctx.clock.now()));
  let list: unknown[];
  try {
    const res = await ctx.federation.request(server, { method: 'GET', path, timeoutMs });
    const pdus = isObject(res.body) ? res.body.pdus : undefined;
    if (res.status !== 200 || !Array.isArray(pdus)) {
      ctx.log.info({ server, roomId: room.roomId, status: res.status }, 'backfill refused');
      return null;
    }
    list = pdus.slice(0, limit);
  } catch (err) {
    if (!(err instanceof FederationTransportError)) throw err;
    ctx.log.info({ server, roomId: room.roomId, err: err.message }, 'backfill failed');
    return null;
  }
  const out: HistoricalEvent[] = [];
  for (const json of list) {
    if (!isObject(json)) continue;
    const eventId = pduEventId(json as EventJson, room.version);
    // Those stored already (the state this server joined with) need no checking again.
    if (!eventId || (await getEventRow(ctx.db, eventId))) continue;
    const checked = await checkReceivedPdu(ctx, room, json as EventJson, eventId);
    if ('error' in checked) {
      // Dropped: never stored, so never served (a later round may get a good copy).
      ctx.log.info({ server, eventId, error: checked.error }, 'dropped a backfilled event');
      continue;
    }
    out.push(checked);
  }
  return out;
}

/**
 * Persists one server's answer: the state before its oldest events fetched first (and any
 * auth events missing), then the events as history. Resolves with how many were accepted.
 */
async function persistBatch(
  ctx: Ctx,
  server: string,
  room: ReceivingRoom,
  events: HistoricalEvent[],
  deadline: number | undefined,
): Promise<number> {
  if (!events.length) return 0;
  const statesBefore = new Map<string, StateMap>();
  const needing = await eventsNeedingState(ctx, events);
  for (const eventId of needing.slice(0, MAX_STATE_FETCHES)) {
    // Past the deadline the events needing a state are skipped (a later round gets them).
    if (deadline !== undefined && ctx.clock.now() >= deadline) break;
    const state = await fetchStateBefore(ctx, server, room, eventId);
    if (state) statesBefore.set(eventId, state);
  }
  // Auth events neither in the answer nor stored (nor in a fetched state): fetched too.
  const inBatch = new Set(events.map((e) => e.eventId));
  const authIds = [...new Set(events.flatMap((e) => referencedEventIds(e.pdu.auth_events)))].filter(
    (id) => !inBatch.has(id),
  );
  await fetchEventsAsOutliers(ctx, server, room, authIds);
  const outcome = await persistHistoricalEvents(ctx, {
    version: room.version,
    roomId: room.roomId,
    events,
    statesBefore,
  });
  ctx.log.debug(
    {
      server,
      roomId: room.roomId,
      accepted: outcome.accepted.length,
      rejected: outcome.rejected.length,
      skipped: outcome.skipped.length,
    },
    'backfilled history',
  );
  return outcome.accepted.length;
}
