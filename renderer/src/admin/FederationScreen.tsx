import { useState } from 'react';
import { federation } from './client';
import { destinationState } from './labels';
import { useAdmin } from './context';
import { formatDateTime, formatDuration, formatRelative } from './format';
import { DEFAULT_PAGE, hasMore, type PageState } from './paging';
import { Badge, ErrorNote, Loading, OkNote, Pager, SearchBox } from './parts';
import { useDebounced, useLoad } from './use-load';

/** The servers this one talks to: which fail, since when, the backoff; retry now. */
export function FederationScreen() {
  const { call } = useAdmin();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState<PageState>(DEFAULT_PAGE);
  const q = useDebounced(search.trim());
  const list = useLoad(
    () => federation.destinations(call, { ...page, search: q }),
    [call, page, q],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const rows = list.data?.destinations ?? [];
  const now = Date.now();

  const retry = async (dest: string) => {
    setBusy(dest);
    setError(null);
    setNotice(null);
    try {
      await federation.retryNow(call, dest);
      setNotice(`${dest} will be tried again now.`);
      list.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="adm-fed-h">
      <div className="adm-head">
        <h1 id="adm-fed-h">Federation</h1>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <p className="adm-soft">
        Other servers this one sends to. After failures, Hearth waits longer and longer before
        trying a server again; “Retry now” ends the wait.
      </p>
      <div className="adm-toolbar">
        <SearchBox
          label="Search servers"
          value={search}
          onChange={(v) => {
            setSearch(v);
            setPage((p) => ({ ...p, from: 0 }));
          }}
        />
      </div>
      {notice && <OkNote>{notice}</OkNote>}
      <ErrorNote error={list.error ?? error} onRetry={list.error ? list.reload : undefined} />
      {list.loading && !list.data ? (
        <Loading what="servers" />
      ) : (
        <div aria-busy={list.loading}>
          <table className="adm-table">
            <caption className="visually-hidden">Federation destinations</caption>
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Status</th>
                <th scope="col">Failing since</th>
                <th scope="col">Backoff</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => {
                const st = destinationState(d, now);
                return (
                  <tr key={d.destination}>
                    <td data-label="Server" className="adm-strong">
                      {d.destination}
                    </td>
                    <td data-label="Status">
                      {st.failing ? <Badge tone="bad">Failing</Badge> : <Badge tone="ok">OK</Badge>}
                    </td>
                    <td data-label="Failing since">
                      {st.failing ? (
                        <span title={formatDateTime(d.failure_ts)}>
                          {formatRelative(d.failure_ts, now)}
                        </span>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td data-label="Backoff">
                      {d.retry_interval > 0 ? (
                        <>
                          {formatDuration(d.retry_interval)}
                          {st.nextTry && (
                            <span className="adm-soft">
                              {' '}
                              (next try {formatRelative(st.nextTry, now)})
                            </span>
                          )}
                        </>
                      ) : (
                        'None'
                      )}
                    </td>
                    <td data-label="Actions">
                      <button
                        type="button"
                        disabled={busy === d.destination || (!st.failing && d.retry_interval === 0)}
                        onClick={() => void retry(d.destination)}
                        aria-label={`Retry now: ${d.destination}`}
                      >
                        Retry now
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {rows.length === 0 && !list.error && (
            <p className="adm-empty">This server has not talked to any other server yet.</p>
          )}
          <Pager
            label="Servers"
            state={page}
            shown={rows.length}
            total={list.data?.total}
            more={hasMore(list.data?.next_token)}
            onChange={setPage}
          />
        </div>
      )}
    </section>
  );
}
