import type { EventHook } from '../events/event-hooks.js';
import { searchTextQueued } from './index-queue.js';
import { searchableText } from './searchable.js';
import { insertPendingSearchText } from './store.js';

/**
 * Queues an event's searchable text for /search as it is persisted, in its own writer unit
 * (the text commits with the event, and enters the FTS5 index in a batch soon after:
 * index-queue.ts). Events without searchable text cost one type check. Redactions are not
 * handled here: the index and the queue follow `events.redacted_by` (migrations 0010, 0023).
 */
export const indexEventForSearch: EventHook = async (ctx, tx, ev) => {
  const text = searchableText(ev.pdu.type, ev.pdu.content);
  if (text === null) return;
  await insertPendingSearchText(tx, ev.streamOrdering, text);
  tx.afterCommit(() => searchTextQueued(ctx));
};
