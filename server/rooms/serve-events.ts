import type { Ctx } from '../context.js';
import { createCache, type Cache } from '../core/cache.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import { referencedEventIds, type Pdu } from '../events/event-format.js';
import { redactEvent } from '../events/redaction.js';
import type { RoomVersion } from '../events/room-versions.js';
import { loadStateGroups } from '../events/state-groups.js';
import { stateKeyId } from '../events/state-map.js';
import * as events from '../events/store.js';
import { loadBundles, type Viewer } from '../relations/aggregations.js';
import * as store from './timeline-store.js';

export type { Viewer } from '../relations/aggregations.js';

/**
 * The events as clients see them: redacted ones redacted, with the redaction as
 * `unsigned.redacted_because`; state events that replaced earlier state with
 * `unsigned.prev_content`, `prev_sender` and `replaces_state` (as Synapse serves them).
 * Given the `viewer` they are served to, events also carry their bundled aggregations in
 * `unsigned.m.relations` (relations/aggregations.ts), found for the whole page at once.
 */
export async function serveEvents(
  ctx: Ctx,
  version: RoomVersion,
  rows: readonly store.TimelineRow[],
  viewer?: Viewer,
): Promise<ClientEvent[]> {
  return serveParsedEvents(
    ctx,
    version,
    rows.map((row) => ({ row, pdu: JSON.parse(row.json) as Pdu })),
    viewer,
  );
}

/**
 * Sets `unsigned.m.relations` on the served events that have aggregations. The bundled
 * events are served in turn: a thread's latest event with its own aggregations (it is a
 * thread event, so it has no thread of its own: no loop), an edit without any.
 */
async function addBundledAggregations(
  ctx: Ctx,
  version: RoomVersion,
  rows: readonly store.TimelineRow[],
  served: ClientEvent[],
  viewer: Viewer,
): Promise<void> {
  const bundles = await loadBundles(ctx, rows, viewer);
  if (!bundles.size) return;
  const all = [...bundles.values()];
  const latestRows = all.flatMap((b) => (b.thread ? [b.thread.latest] : []));
  const latest = byId(await serveEvents(ctx, version, latestRows, viewer));
  const edits = byId(
    await serveRows(
      ctx,
      version,
      all.flatMap((b) => (b.replace ? [b.replace] : [])),
    ),
  );
  for (const ev of served) {
    const b = bundles.get(ev.event_id);
    if (!b) continue;
    const relations: Record<string, unknown> = {};
    if (b.thread) {
      relations['m.thread'] = {
        latest_event: latest.get(b.thread.latest.event_id),
        count: b.thread.count,
        current_user_participated: b.thread.participated,
      };
    }
    if (b.replace) relations['m.replace'] = edits.get(b.replace.event_id);
    if (b.references) {
      relations['m.reference'] = { chunk: b.references.map((id) => ({ event_id: id })) };
    }
    ev.unsigned['m.relations'] = relations;
  }
}

function byId(evs: ClientEvent[]): Map<string, ClientEvent> {
  return new Map(evs.map((e) => [e.event_id, e]));
}

/** The events as clients see them, without aggregations. */
async function serveRows(
  ctx: Ctx,
  version: RoomVersion,
  rows: readonly store.TimelineRow[],
): Promise<ClientEvent[]> {
  return serveParsedRows(
    ctx,
    version,
    rows.map((row) => ({ row, pdu: JSON.parse(row.json) as Pdu })),
  );
}

/**
 * An event's row with its PDU already parsed (callers that read the PDU first need not
 * parse it twice). The PDU is only read, never changed: it may be shared (events/event-cache.ts).
 */
/** What serving an event reads of its row, besides the PDU. */
export type ServedMeta = Pick<
  store.TimelineRow,
  'event_id' | 'room_id' | 'type' | 'state_key' | 'redacted_by'
>;

export interface ParsedRow<R extends ServedMeta = store.TimelineRow> {
  row: R;
  pdu: Pdu;
}

/** serveEvents for rows whose PDUs the caller has parsed already. */
export async function serveParsedEvents(
  ctx: Ctx,
  version: RoomVersion,
  items: readonly ParsedRow[],
  viewer?: Viewer,
): Promise<ClientEvent[]> {
  const out = await serveParsedRows(ctx, version, items);
  if (viewer) {
    const rows = items.map((i) => i.row);
    await addBundledAggregations(ctx, version, rows, out, viewer);
  }
  return out;
}

/**
 * The events as clients see them, without aggregations, from parsed PDUs: the rows need
 * not carry their JSON.
 */
export async function serveParsedRows(
  ctx: Ctx,
  version: RoomVersion,
  items: readonly ParsedRow<ServedMeta>[],
): Promise<ClientEvent[]> {
  const redactionIds = items.flatMap((i) => (i.row.redacted_by ? [i.row.redacted_by] : []));
  const redactions = redactionIds.length
    ? await events.getEventJsonMany(ctx.db, redactionIds)
    : new Map<string, string>();
  const unredacted = (i: ParsedRow<ServedMeta>) =>
    !i.row.redacted_by || !redactions.has(i.row.redacted_by);
  // What each state event replaced, for all of them at once (prevStates).
  const replaced = await prevStates(
    ctx,
    version,
    items.filter((i) => i.row.state_key !== null && unredacted(i)),
  );
  const now = ctx.clock.now();
  const out: ClientEvent[] = [];
  for (const { row, pdu } of items) {
    const ids = { eventId: row.event_id, roomId: row.room_id };
    const because = row.redacted_by ? redactions.get(row.redacted_by) : undefined;
    if (!row.redacted_by || because === undefined) {
      const ev = toClientEvent(pdu, ids, { now });
      const prev = replaced.get(row.event_id);
      if (prev) Object.assign(ev.unsigned, prev);
      out.push(ev);
      continue;
    }
    const ev = toClientEvent(redactedPdu(pdu, version), ids, { now });
    ev.unsigned.redacted_because = toClientEvent(
      JSON.parse(because) as Pdu,
      { eventId: row.redacted_by, roomId: row.room_id },
      { now },
    );
    out.push(ev);
  }
  return out;
}

function redactedPdu(pdu: Pdu, version: RoomVersion): Pdu {
  return redactEvent(pdu as unknown as Record<string, unknown>, version) as unknown as Pdu;
}

/**
 * What each state event replaced: the same (type, state_key) in the state before it (the
 * state group of its first prev event), as `prev_content`, `prev_sender` and
 * `replaces_state`; only for events that replaced a served event of the same room. Read
 * for a whole page at once (one query for the prev events' groups, one for the replaced
 * rows, the groups mostly from the cache): an initial /sync serves thousands of state
 * events, and two or three queries for each of them were most of its time. Which event a
 * state event replaced never changes once its prev event has a state group, so that is
 * kept (replacedIds); the replaced row is read each time (it may have been redacted since).
 */
async function prevStates(
  ctx: Ctx,
  version: RoomVersion,
  items: readonly ParsedRow<ServedMeta>[],
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!items.length) return out;
  const known = replacedIdsOf(ctx);
  const replacedIdOf = new Map<string, string>();
  const prevOf = new Map<string, string>();
  for (const { row, pdu } of items) {
    const replacedId = known.get(row.event_id);
    if (replacedId !== undefined) {
      if (replacedId !== NOTHING) replacedIdOf.set(row.event_id, replacedId);
      continue;
    }
    const prev = referencedEventIds(pdu.prev_events)[0];
    if (prev !== undefined) prevOf.set(row.event_id, prev);
  }
  if (prevOf.size) {
    const groupOf = await store.getEventStateGroups(ctx.db, [...new Set(prevOf.values())]);
    const states = await loadStateGroups(ctx, [...new Set(groupOf.values())]);
    for (const { row } of items) {
      const prev = prevOf.get(row.event_id);
      const group = prev === undefined ? undefined : groupOf.get(prev);
      // Without a group (yet: an outlier prev event) nothing is replaced, and nothing kept.
      if (group === undefined) continue;
      const replacedId = states.get(group)!.get(stateKeyId(row.type, row.state_key!));
      known.set(row.event_id, replacedId ?? NOTHING);
      if (replacedId !== undefined) replacedIdOf.set(row.event_id, replacedId);
    }
  }
  if (!replacedIdOf.size) return out;
  const replacedRows = await store.getServedRowsByIds(ctx.db, [...new Set(replacedIdOf.values())]);
  for (const { row } of items) {
    const replacedId = replacedIdOf.get(row.event_id);
    const replaced = replacedId === undefined ? undefined : replacedRows.get(replacedId);
    if (!replaced || replaced.room_id !== row.room_id) continue;
    const replacedPdu = JSON.parse(replaced.json) as Pdu;
    const content = replaced.redacted_by
      ? redactedPdu(replacedPdu, version).content
      : replacedPdu.content;
    out.set(row.event_id, {
      prev_content: content,
      prev_sender: replaced.sender,
      replaces_state: replacedId,
    });
  }
  return out;
}

/** In replacedIds: the state event replaced nothing. */
const NOTHING = '';

/**
 * By state event id, the id of the event it replaced (or NOTHING): one cache per context
 * (tests run many in one process), bounded by count, scaled by the `replaced_state` factor.
 */
const replacedIds = new WeakMap<Ctx, Cache<string, string>>();

function replacedIdsOf(ctx: Ctx): Cache<string, string> {
  let cache = replacedIds.get(ctx);
  if (!cache) {
    cache = createCache<string, string>(ctx.config.caches, 'replaced_state', 50_000);
    replacedIds.set(ctx, cache);
  }
  return cache;
}
