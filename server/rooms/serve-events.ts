import type { Ctx } from '../context.js';
import { toClientEvent, type ClientEvent } from '../events/client-event.js';
import { referencedEventIds, type Pdu } from '../events/event-format.js';
import { redactEvent } from '../events/redaction.js';
import type { RoomVersion } from '../events/room-versions.js';
import { loadStateGroup } from '../events/state-groups.js';
import { stateKeyId } from '../events/state-map.js';
import * as events from '../events/store.js';
import * as store from './timeline-store.js';

/**
 * The events as clients see them: redacted ones redacted, with the redaction as
 * `unsigned.redacted_because`; state events that replaced earlier state with
 * `unsigned.prev_content`, `prev_sender` and `replaces_state` (as Synapse serves them).
 */
export async function serveEvents(
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
