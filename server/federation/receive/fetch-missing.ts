import type { Ctx } from '../../context.js';
import type { EventJson } from '../../events/event-format.js';
import { MissingEventsError, persistRemoteEvent } from '../../events/persist-remote.js';
import { getForwardExtremities, getRoomMinDepth } from '../../events/store.js';
import { FederationTransportError } from '../types.js';
import { checkReceivedPdu, pduEventId, type CheckedPdu, type ReceivingRoom } from './pdu.js';
import { isObject } from '../../core/is-object.js';
import { persistOnFetchedState } from '../backfill/state-at-gap.js';

/**
 * Closing a gap before a received event (server-server "Backfilling and retrieving missing
 * events"): its origin is asked for the events between our forward extremities and the
 * event with POST /get_missing_events, and what comes back is checked and persisted oldest
 * first, each through the same checks as a PDU of a transaction. A gap wider than one
 * answer is not closed: its oldest events are persisted on the state before them, fetched
 * with /state_ids (../backfill/state-at-gap.ts).
 */

/** How many events one request asks for (the spec's default; Synapse asks for 10 too). */
export const MISSING_EVENTS_LIMIT = 10;
/** A generous bound on the answer: `limit` events of at most 64 KiB each, and then some. */
const MAX_ANSWER_BYTES = 2 * MISSING_EVENTS_LIMIT * 65536;
const TIMEOUT_MS = 30_000;

/**
 * Fetches and persists the events missing before `event` from `origin`. Resolves null when
 * that went through (the caller tries the event again), else why the gap stays open.
 */
export async function fetchMissingPrevEvents(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  event: CheckedPdu,
): Promise<string | null> {
  const earliest = await getForwardExtremities(ctx.db, room.roomId);
  const body = {
    earliest_events: earliest,
    latest_events: [event.eventId],
    limit: MISSING_EVENTS_LIMIT,
    min_depth: await getRoomMinDepth(ctx.db, room.roomId),
  };
  let events: EventJson[];
  try {
    const res = await ctx.federation.request(origin, {
      method: 'POST',
      path: `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(room.roomId)}`,
      body,
      timeoutMs: TIMEOUT_MS,
      maxBytes: MAX_ANSWER_BYTES,
    });
    const list = isObject(res.body) ? res.body.events : undefined;
    if (res.status !== 200 || !Array.isArray(list)) {
      return `${origin} answered get_missing_events with ${res.status}`;
    }
    events = list.filter(isObject).slice(0, MISSING_EVENTS_LIMIT);
  } catch (err) {
    if (!(err instanceof FederationTransportError)) throw err;
    return `Could not ask ${origin} for the missing events: ${err.message}`;
  }
  ctx.log.debug(
    { origin, roomId: room.roomId, eventId: event.eventId, fetched: events.length },
    'fetched missing prev events',
  );
  // Oldest first: a prev event always has a lower depth than the events that cite it.
  const checked: CheckedPdu[] = [];
  for (const json of events) {
    const eventId = pduEventId(json, room.version);
    if (!eventId || eventId === event.eventId) continue;
    const c = await checkReceivedPdu(ctx, room, json, eventId);
    if ('error' in c) {
      ctx.log.info({ origin, eventId, error: c.error }, 'dropped a fetched missing event');
      continue;
    }
    checked.push(c);
  }
  checked.sort((a, b) => a.pdu.depth - b.pdu.depth);
  for (const c of checked) {
    try {
      await persistRemoteEvent(ctx, {
        version: room.version,
        roomId: room.roomId,
        eventId: c.eventId,
        pdu: c.pdu,
      });
    } catch (err) {
      if (!(err instanceof MissingEventsError)) throw err;
      // The oldest fetched events still miss theirs (the gap is wider than one answer):
      // persisted on the state before them, as the origin gives it (/state_ids).
      const gap = await persistOnFetchedState(ctx, origin, room, c);
      if (gap === null) continue;
      const ids = err.eventIds.join(', ');
      const what = {
        prev_events: 'prev events',
        auth_events: 'auth events',
        state: 'the state at prev events',
      }[err.kind];
      return `Missing ${what} that could not be fetched from ${origin}: ${ids} (${gap})`;
    }
  }
  // Nothing usable came back: the event itself goes on the state before it.
  if (!checked.length) return persistOnFetchedState(ctx, origin, room, event);
  return null;
}
