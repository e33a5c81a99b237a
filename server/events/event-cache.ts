import type { Ctx } from '../context.js';
import { createCache, type Cache } from '../core/cache.js';
import type { Pdu } from './event-format.js';
import * as eventStore from './store.js';

/**
 * Parsed PDUs by event id, for /sync. An event's JSON never changes once stored (a
 * redaction only sets `events.redacted_by`; the served form is redacted on the way out), so
 * a parsed PDU can be kept and shared by every answer that serves the event (/sync, and the
 * history-visibility checks of rooms/visibility.ts, which read the same state events). An initial
 * sync serves the whole state of every room: without this, each one read and parsed
 * thousands of the same PDUs again.
 *
 * The cached objects are frozen, deeply: they are shared between answers, and a caller
 * that changed one would change what every later answer serves. Whatever is built from
 * them (client events) makes its own top-level objects; `content` is shared as is.
 *
 * The JSON is kept too (the same string as read, not a copy), so that a row can be made
 * whole from the events table's columns alone, without the join to event_json.
 *
 * One cache per context (tests run many contexts in one process), bounded by count (an
 * event is about 1.5 KiB, JSON and parsed) and scaled by the `parsed_events` cache factor.
 */

const BASE_SIZE = 10_000;

/** A stored event's JSON as stored, and parsed (frozen). */
export interface CachedEvent {
  json: string;
  pdu: Pdu;
}

const caches = new WeakMap<Ctx, Cache<string, CachedEvent>>();

function cacheOf(ctx: Ctx): Cache<string, CachedEvent> {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = createCache<string, CachedEvent>(ctx.config.caches, 'parsed_events', BASE_SIZE);
    caches.set(ctx, cache);
  }
  return cache;
}

/** The PDU of a row just read with its JSON: the cached one, or parsed and cached. */
export function pduOf(ctx: Ctx, eventId: string, json: string): Pdu {
  return cachedOf(ctx, eventId, json).pdu;
}

function cachedOf(ctx: Ctx, eventId: string, json: string): CachedEvent {
  const cache = cacheOf(ctx);
  let cached = cache.get(eventId);
  if (!cached) {
    cached = { json, pdu: deepFreeze(JSON.parse(json) as Pdu) };
    cache.set(eventId, cached);
  }
  return cached;
}

/** The stored events among `eventIds` (served or not), by event id: cached, or read. */
export async function getEvents(
  ctx: Ctx,
  eventIds: readonly string[],
): Promise<Map<string, CachedEvent>> {
  const cache = cacheOf(ctx);
  const out = new Map<string, CachedEvent>();
  const missing: string[] = [];
  for (const id of eventIds) {
    const cached = cache.get(id);
    if (cached) out.set(id, cached);
    else missing.push(id);
  }
  if (missing.length) {
    for (const [id, json] of await eventStore.getEventJsonMany(ctx.db, missing)) {
      out.set(id, cachedOf(ctx, id, json));
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
