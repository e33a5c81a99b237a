import type { EventHook } from '../events/event-hooks.js';
import { searchableText } from './searchable.js';
import { insertSearchText } from './store.js';

/**
 * Indexes an event for /search as it is persisted, in its own writer unit (an event and its
 * index row commit together). Events without searchable text cost one type check.
 * Redactions are not handled here: the index follows `events.redacted_by` (migration 0010).
 */
export const indexEventForSearch: EventHook = async (_ctx, tx, ev) => {
  const text = searchableText(ev.pdu.type, ev.pdu.content);
  if (text !== null) await insertSearchText(tx, ev.streamOrdering, text);
};
