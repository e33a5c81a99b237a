import { useState } from 'react';
import { federation } from './client';
import { destinationState } from './labels';
import { useAdmin } from './context';
import { formatDateTime, formatDuration, formatRelative } from './format';
import { ListTable, usePagedSearch, useRowAction } from './list-screen';
import { hasMore } from './paging';
import { Badge, OkNote, SearchBox } from './parts';
import { useLoad } from './use-load';

/** The servers this one talks to: which fail, since when, the backoff; retry now. */
export function FederationScreen() {
  const { call } = useAdmin();
  const { search, setSearch, q, page, setPage } = usePagedSearch();
  const list = useLoad(
    () => federation.destinations(call, { ...page, search: q }),
    [call, page, q],
  );
  const action = useRowAction(list.reload);
  const [notice, setNotice] = useState<string | null>(null);
  const rows = list.data?.destinations ?? [];
  const now = Date.now();

  const retry = (dest: string) => {
    setNotice(null);
    return action.run(dest, async () => {
      await federation.retryNow(call, dest);
      setNotice(`${dest} will be tried again now.`);
    });
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
        <SearchBox label="Search servers" value={search} onChange={setSearch} />
      </div>
      {notice && <OkNote>{notice}</OkNote>}
      <ListTable
        list={list}
        what="servers"
        caption="Federation destinations"
        columns={['Server', 'Status', 'Failing since', 'Backoff', { hidden: 'Actions' }]}
        rows={rows}
        actionError={action.error}
        empty="This server has not talked to any other server yet."
        pager={{
          label: 'Servers',
          state: page,
          onChange: setPage,
          total: list.data?.total,
          more: hasMore(list.data?.next_token),
        }}
        row={(d) => {
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
                  disabled={
                    action.busy === d.destination || (!st.failing && d.retry_interval === 0)
                  }
                  onClick={() => void retry(d.destination)}
                  aria-label={`Retry now: ${d.destination}`}
                >
                  Retry now
                </button>
              </td>
            </tr>
          );
        }}
      />
    </section>
  );
}
