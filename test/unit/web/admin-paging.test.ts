import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PAGE,
  hasMore,
  nextPage,
  pageView,
  prevPage,
  withLimit,
} from '../../../renderer/src/admin/paging.js';

// The pager under the admin tables: what it says and where Previous / Next lead.

describe('pageView', () => {
  test.each([
    // from, limit, shown, total, token -> label, prev, next, page, pages
    [0, 25, 25, 120, false, '1–25 of 120', false, true, 1, 5],
    [25, 25, 25, 120, false, '26–50 of 120', true, true, 2, 5],
    [100, 25, 20, 120, false, '101–120 of 120', true, false, 5, 5],
    [0, 25, 3, 3, false, '1–3 of 3', false, false, 1, 1],
    [0, 25, 0, 0, false, 'No results', false, false, 1, 1],
    [50, 25, 0, 40, false, 'No more results', true, false, 3, 2],
    [0, 10, 10, undefined, true, '1–10', false, true, 1, 1],
    [10, 10, 4, undefined, false, '11–14', true, false, 2, 2],
  ] as const)(
    'from %d limit %d shown %d total %s more %s -> %s',
    (from, limit, shown, total, more, label, hasPrev, hasNext, page, pages) => {
      const v = pageView({ from, limit }, shown, total, more);
      expect(v).toEqual({ label, hasPrev, hasNext, page, pages });
    },
  );

  test('the next token wins over an out-of-date total', () => {
    expect(pageView({ from: 0, limit: 10 }, 10, 10, true).hasNext).toBe(true);
  });
});

describe('moving', () => {
  test('next and previous move by a page, never before the first', () => {
    const s = { from: 0, limit: 25 };
    const v = pageView(s, 25, 60);
    expect(nextPage(s, v)).toEqual({ from: 25, limit: 25 });
    expect(prevPage({ from: 25, limit: 25 })).toEqual({ from: 0, limit: 25 });
    expect(prevPage({ from: 10, limit: 25 })).toEqual({ from: 0, limit: 25 });
    expect(prevPage(DEFAULT_PAGE)).toEqual(DEFAULT_PAGE);
  });

  test('no next page: next stays put', () => {
    const s = { from: 50, limit: 25 };
    expect(nextPage(s, pageView(s, 10, 60))).toBe(s);
  });

  test('a new page size starts from the first page; nonsense sizes are ignored', () => {
    expect(withLimit({ from: 75, limit: 25 }, 50)).toEqual({ from: 0, limit: 50 });
    expect(withLimit({ from: 75, limit: 25 }, 0)).toEqual({ from: 0, limit: 25 });
  });

  test.each([
    ['25', true],
    ['', false],
    [25, true],
    [undefined, false],
    [null, false],
  ])('next token %s -> more %s', (token, more) => expect(hasMore(token)).toBe(more));
});
