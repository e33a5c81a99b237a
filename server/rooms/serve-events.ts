import type { Ctx } from '../context.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import { referencedEventIds, type Pdu } from '../events/event-format.js';
import { redactEvent } from '../events/redaction.js';
import type { RoomVersion } from '../events/room-versions.js';
import { loadStateGroup } from '../events/state-groups.js';
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
  const out = await serveRows(ctx, version, rows);
  if (viewer) await addBundledAggregations(ctx, version, rows, out, viewer);
  return out;
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
  const redactionIds = rows.flatMap((r) => (r.redacted_by ? [r.redacted_by] : []));
  const redactions = redactionIds.length
    ? await events.getEventJsonMany(ctx.db, redactionIds)
    : new Map<string, string>();
  const now = ctx.clock.now();
  const out: ClientEvent[] = [];
  for (const row of rows) {
    const pdu = JSON.parse(row.json) as Pdu;
    const ids = { eventId: row.event_id, roomId: row.room_id };
    const because = row.redacted_by ? redactions.get(row.redacted_by) : undefined;
    if (!row.redacted_by || because === undefined) {
      const ev = toClientEvent(pdu, ids, { now });
      if (row.state_key !== null)
        Object.assign(ev.unsigned, await prevState(ctx, version, row, pdu));
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

/** What a state event replaced: the same (type, state_key) in the state before it. */
async function prevState(
  ctx: Ctx,
  version: RoomVersion,
  row: store.TimelineRow,
  pdu: Pdu,
): Promise<Record<string, unknown>> {
  const prev = referencedEventIds(pdu.prev_events)[0];
  const group = prev === undefined ? null : await store.getEventStateGroup(ctx.db, prev);
  if (group === null) return {};
  const replacedId = (await loadStateGroup(ctx, group)).get(stateKeyId(row.type, row.state_key!));
  if (replacedId === undefined) return {};
  const replaced = await store.getTimelineRow(ctx.db, row.room_id, replacedId);
  if (!replaced) return {};
  const replacedPdu = JSON.parse(replaced.json) as Pdu;
  const content = replaced.redacted_by
    ? redactedPdu(replacedPdu, version).content
    : replacedPdu.content;
  return { prev_content: content, prev_sender: replaced.sender, replaces_state: replacedId };
}
