// What every admin list screen shares (users, rooms, media, federation, tokens): the
// search box that starts again from the first page, an action on one row that disables
// that row's button while it runs, and the table with its loading, error, empty and pager
// states. One place, so the screens cannot drift apart in how they show those states.
import { useState, type ReactNode } from 'react';
import { DEFAULT_PAGE, type PageState } from './paging';
import { ErrorNote, Loading, Pager } from './parts';
import { useDebounced, type Loaded } from './use-load';

/**
 * The page and the search of a list. A new search (or a filter, through `firstPage`)
 * starts again from the first page; `q` is the search, trimmed, once typing pauses.
 */
export function usePagedSearch() {
  const [search, setText] = useState('');
  const [page, setPage] = useState<PageState>(DEFAULT_PAGE);
  const q = useDebounced(search.trim());
  const firstPage = () => setPage((p) => ({ ...p, from: 0 }));
  const setSearch = (v: string) => {
    setText(v);
    firstPage();
  };
  return { search, setSearch, q, page, setPage, firstPage };
}

/**
 * An action on one row (retry a server, quarantine a file): `busy` is the key of the row
 * whose action runs, `error` the last failure. The list reloads after a success.
 */
export function useRowAction(reload: () => void) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (key: string, action: () => Promise<unknown>) => {
    setBusy(key);
    setError(null);
    try {
      await action();
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  return { busy, error, run };
}

/** A column head: its label, or `{ hidden }` for a column of buttons (screen readers only). */
export type Column = string | { hidden: string };

/**
 * A list's table. The first load shows "Loading…"; later loads keep the rows shown and
 * mark them busy. A failed load shows the error with Try again; a failed row action
 * (`actionError`) shows the same way, without Try again.
 */
export function ListTable<T>(props: {
  list: Loaded<unknown>;
  /** What is loading, for "Loading users…". */
  what: string;
  caption: string;
  columns: Column[];
  rows: readonly T[];
  /** One row: a <tr> with a `key`. */
  row: (item: T) => ReactNode;
  /** The line shown when there are no rows. */
  empty: string;
  actionError?: unknown;
  pager?: {
    label: string;
    state: PageState;
    onChange: (s: PageState) => void;
    total: number | undefined;
    more: boolean;
  };
}) {
  const { list } = props;
  return (
    <>
      <ErrorNote
        error={list.error ?? props.actionError}
        onRetry={list.error ? list.reload : undefined}
      />
      {list.loading && !list.data ? (
        <Loading what={props.what} />
      ) : (
        <div aria-busy={list.loading}>
          <table className="adm-table">
            <caption className="visually-hidden">{props.caption}</caption>
            <thead>
              <tr>
                {props.columns.map((c) =>
                  typeof c === 'string' ? (
                    <th scope="col" key={c}>
                      {c}
                    </th>
                  ) : (
                    <th scope="col" key={c.hidden}>
                      <span className="visually-hidden">{c.hidden}</span>
                    </th>
                  ),
                )}
              </tr>
            </thead>
            <tbody>{props.rows.map(props.row)}</tbody>
          </table>
          {props.rows.length === 0 && !list.error && <p className="adm-empty">{props.empty}</p>}
          {props.pager && (
            <Pager
              label={props.pager.label}
              state={props.pager.state}
              shown={props.rows.length}
              total={props.pager.total}
              more={props.pager.more}
              onChange={props.pager.onChange}
            />
          )}
        </div>
      )}
    </>
  );
}
