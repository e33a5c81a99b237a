/**
 * Offset paging as Synapse's admin lists do it: `from` (an offset) and `limit` go out;
 * `total` (and a next token while there is more) come back. Pure, so the pager's
 * arithmetic and labels are unit-tested under Node.
 */
export interface PageState {
  from: number;
  limit: number;
}

export const PAGE_SIZES = [10, 25, 50, 100] as const;
export const DEFAULT_PAGE: PageState = { from: 0, limit: 25 };

export interface PageView {
  /** "1–25 of 120", "No results". */
  label: string;
  hasPrev: boolean;
  hasNext: boolean;
  /** 1-based page number and page count (count is at least 1). */
  page: number;
  pages: number;
}

/**
 * What the pager shows for a page of `shown` rows at `state`, out of `total` (when the
 * server says it) or as far as a next token says there is more.
 */
export function pageView(
  state: PageState,
  shown: number,
  total: number | undefined,
  hasMoreToken = false,
): PageView {
  const knownTotal = total !== undefined && Number.isFinite(total) ? total : undefined;
  const page = Math.floor(state.from / state.limit) + 1;
  const pages = knownTotal === undefined ? page : Math.max(1, Math.ceil(knownTotal / state.limit));
  const hasNext =
    hasMoreToken || (knownTotal !== undefined && state.from + shown < knownTotal && shown > 0);
  const hasPrev = state.from > 0;
  let label: string;
  if (shown === 0) label = state.from > 0 ? 'No more results' : 'No results';
  else {
    const range = `${state.from + 1}–${state.from + shown}`;
    label = knownTotal === undefined ? range : `${range} of ${knownTotal}`;
  }
  return { label, hasPrev, hasNext, page, pages };
}

/** The next page, or the same state when there is none. */
export function nextPage(state: PageState, view: PageView): PageState {
  return view.hasNext ? { ...state, from: state.from + state.limit } : state;
}

/** The previous page (never before the first). */
export function prevPage(state: PageState): PageState {
  return { ...state, from: Math.max(0, state.from - state.limit) };
}

/** A new page size starts again from the first page, as a new search does. */
export function withLimit(state: PageState, limit: number): PageState {
  return { from: 0, limit: limit > 0 ? Math.floor(limit) : state.limit };
}

/** Reads a next token (Synapse sends a string, sometimes a number) as "there is more". */
export function hasMore(token: unknown): boolean {
  return (typeof token === 'string' && token !== '') || typeof token === 'number';
}
