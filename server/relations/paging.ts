/**
 * Paging through candidates some of which the requester may not see: reads batches from a
 * cursor, keeps the visible ones until `limit` are kept, and says where to continue. At
 * most MAX_SCAN candidates are looked at per request, so a user who may see little cannot
 * make one request scan a whole room (the page is then short, with a token to continue).
 */

const MAX_SCAN = 5000;

export interface VisiblePage<T> {
  items: T[];
  /** The cursor to continue from, or null when nothing is left. */
  next: number | null;
}

export async function collectVisible<T>(a: {
  start: number;
  limit: number;
  /** Up to `n` candidates after `cursor`, in page order. */
  fetch(cursor: number, n: number): Promise<T[]>;
  /** The cursor just past `item`. */
  cursorAfter(item: T): number;
  keep(item: T): Promise<boolean>;
}): Promise<VisiblePage<T>> {
  const batchSize = Math.min(Math.max(a.limit * 2, 20), 1000);
  const items: T[] = [];
  let cursor = a.start;
  let scanned = 0;
  for (;;) {
    const batch = await a.fetch(cursor, batchSize);
    for (const item of batch) {
      // One more candidate exists beyond a full page: the page ends here, with a token.
      if (items.length === a.limit || scanned === MAX_SCAN) return { items, next: cursor };
      cursor = a.cursorAfter(item);
      scanned++;
      if (await a.keep(item)) items.push(item);
    }
    if (batch.length < batchSize) return { items, next: null };
  }
}
