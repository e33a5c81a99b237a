import type { Queryable } from '../db/sql.js';
import type { Pdu } from '../events/event-format.js';
import { getEventJson } from '../events/store.js';

/**
 * The thread an event is in, for threaded receipts and per-thread unread counts
 * (client-server API, "Threaded read receipts"): the root's event id for an event with an
 * `m.thread` relation, or whose relation chain reaches one within 3 hops (the spec's
 * recommended limit); else `main`, which holds thread roots too.
 */

export const MAIN_THREAD = 'main';
const MAX_HOPS = 3;

interface Relation {
  relType: string | null;
  eventId: string;
}

function relationOf(content: unknown): Relation | null {
  if (typeof content !== 'object' || content === null) return null;
  const rel = (content as Record<string, unknown>)['m.relates_to'];
  if (typeof rel !== 'object' || rel === null) return null;
  const { rel_type: relType, event_id: eventId } = rel as Record<string, unknown>;
  if (typeof eventId !== 'string') return null;
  return { relType: typeof relType === 'string' ? relType : null, eventId };
}

/**
 * The thread of an event when its content alone tells (no relation: `main`; a thread
 * relation: its root), else null: then `threadOf` follows the relation.
 */
export function directThreadOf(content: unknown): string | null {
  const rel = relationOf(content);
  if (!rel || rel.relType === null) return MAIN_THREAD;
  return rel.relType === 'm.thread' ? rel.eventId : null;
}

/** The thread id of an event with this content; reads the related events it points at. */
export async function threadOf(q: Queryable, content: unknown): Promise<string> {
  let rel = relationOf(content);
  for (let hop = 0; rel && hop < MAX_HOPS; hop++) {
    if (rel.relType === 'm.thread') return rel.eventId;
    if (rel.relType === null) return MAIN_THREAD; // not a relation (`rel_type` is required)
    const json = await getEventJson(q, rel.eventId);
    if (json === undefined) return MAIN_THREAD;
    rel = relationOf((JSON.parse(json) as Pdu).content);
  }
  return MAIN_THREAD;
}
