import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import type { PersistedEventInfo } from '../events/event-hooks.js';
import { relationOf } from './relates-to.js';
import * as store from './store.js';

/**
 * Event hook (server/events/event-hooks.ts): records the relation an event declares in the
 * relations index, in the event's own transaction. Malformed relations and self-references
 * are skipped, never refused: the content is the sender's. Redactions need no work here:
 * readers skip children that are redacted (the redaction removes `m.relates_to`).
 */
export async function indexRelation(_ctx: Ctx, tx: Tx, ev: PersistedEventInfo): Promise<void> {
  const rel = relationOf(ev.pdu.content);
  if (!rel || rel.eventId === ev.eventId) return;
  await store.insertRelation(tx, {
    eventId: ev.eventId,
    roomId: ev.roomId,
    relatesToId: rel.eventId,
    relType: rel.relType,
    type: ev.pdu.type,
    sender: ev.pdu.sender,
    streamOrdering: ev.streamOrdering,
  });
}
