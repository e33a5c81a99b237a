import { useState } from 'react';
import { hashFor } from '../shared/hash-route';
import { media } from './client';
import { ConfirmDialog } from './ConfirmDialog';
import { useAdmin } from './context';
import { formatBytes, formatCount, formatDateTime } from './format';
import { ListTable, usePagedSearch, useRowAction } from './list-screen';
import { DEFAULT_PAGE, hasMore, type PageState } from './paging';
import { Badge, Field, OkNote, SearchBox } from './parts';
import { checkDays } from './validate';
import { useLoad } from './use-load';

/** Media: storage used per user (largest first), and purging other servers' cached media. */
export function MediaScreen() {
  const { call } = useAdmin();
  const { search, setSearch, q, page, setPage } = usePagedSearch();
  const list = useLoad(() => media.statistics(call, { ...page, search: q }), [call, page, q]);
  const rows = list.data?.users ?? [];

  return (
    <section aria-labelledby="adm-media-h">
      <div className="adm-head">
        <h1 id="adm-media-h">Media</h1>
      </div>
      <h2>Usage by user</h2>
      <div className="adm-toolbar">
        <SearchBox label="Search users by name or ID" value={search} onChange={setSearch} />
      </div>
      <ListTable
        list={list}
        what="media usage"
        caption="Media uploaded per user"
        columns={['User', 'Files', 'Size']}
        rows={rows}
        empty="Nobody has uploaded anything yet."
        pager={{
          label: 'Media usage',
          state: page,
          onChange: setPage,
          total: list.data?.total,
          more: hasMore(list.data?.next_token),
        }}
        row={(u) => (
          <tr key={u.user_id}>
            <td data-label="User">
              <a href={hashFor(['admin', 'media', u.user_id])} className="adm-strong">
                {u.displayname || u.user_id}
              </a>
              {u.displayname && <div className="adm-id">{u.user_id}</div>}
            </td>
            <td data-label="Files">{formatCount(u.media_count)}</td>
            <td data-label="Size">{formatBytes(u.media_length)}</td>
          </tr>
        )}
      />
      <PurgeRemoteCache />
    </section>
  );
}

function PurgeRemoteCache() {
  const { call } = useAdmin();
  const [days, setDays] = useState('30');
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState<number | null>(null);
  const error = checkDays(days);
  return (
    <div className="adm-panel">
      <h2>Cached media from other servers</h2>
      <p className="adm-soft">
        Files that people here viewed from other servers are kept in a cache. Purging frees the
        space; they are fetched again when someone opens them.
      </p>
      <Field label="Purge files not used for (days)" error={error}>
        {(f) => (
          <input
            id={f.id}
            inputMode="numeric"
            aria-describedby={f.describedBy}
            aria-invalid={f.invalid}
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        )}
      </Field>
      {deleted !== null && (
        <OkNote>{`Purged ${formatCount(deleted)} cached ${deleted === 1 ? 'file' : 'files'}.`}</OkNote>
      )}
      <button
        type="button"
        className="adm-danger"
        disabled={!!error}
        onClick={() => setConfirming(true)}
      >
        Purge cache…
      </button>
      {confirming && (
        <ConfirmDialog
          title="Purge cached remote media?"
          confirmLabel="Purge"
          danger
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const before = Date.now() - Number(days) * 86_400_000;
            const r = await media.purgeRemoteCache(call, before);
            setDeleted(r.deleted);
          }}
        >
          <p>
            Cached copies of other servers' files not used in the last {days} days are deleted from
            this server.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The media one user uploaded, with quarantine on each. */
export function UserMediaScreen(props: { userId: string }) {
  const { call, serverName } = useAdmin();
  const [page, setPage] = useState<PageState>(DEFAULT_PAGE);
  const list = useLoad(() => media.ofUser(call, props.userId, page), [call, props.userId, page]);
  const action = useRowAction(list.reload);
  const rows = list.data?.media ?? [];

  const quarantine = (mediaId: string, on: boolean) =>
    action.run(mediaId, () => media.quarantine(call, serverName, mediaId, on));

  return (
    <section aria-labelledby="adm-umedia-h">
      <p className="adm-crumbs">
        <a href={hashFor(['admin', 'media'])}>Media</a> ›
      </p>
      <div className="adm-head">
        <h1 id="adm-umedia-h">Media of {props.userId}</h1>
      </div>
      <p className="adm-soft">
        Quarantined files can no longer be downloaded or shown by anyone.{' '}
        <a href={hashFor(['admin', 'users', props.userId])}>Open the user</a>
      </p>
      <ListTable
        list={list}
        what="media"
        caption={`Media uploaded by ${props.userId}`}
        columns={['File', 'Type', 'Size', 'Uploaded', { hidden: 'Actions' }]}
        rows={rows}
        actionError={action.error}
        empty="No uploads."
        pager={{
          label: 'Media',
          state: page,
          onChange: setPage,
          total: list.data?.total,
          more: hasMore(list.data?.next_token),
        }}
        row={(m) => (
          <tr key={m.media_id}>
            <td data-label="File">
              <span className="adm-strong">{m.upload_name || m.media_id}</span>
              <div className="adm-id">{m.media_id}</div>
            </td>
            <td data-label="Type">{m.media_type ?? '—'}</td>
            <td data-label="Size">{formatBytes(m.media_length)}</td>
            <td data-label="Uploaded">{formatDateTime(m.created_ts)}</td>
            <td data-label="Actions">
              {m.quarantined_by && <Badge tone="bad">Quarantined</Badge>}{' '}
              <button
                type="button"
                disabled={
                  action.busy === m.media_id || (!m.quarantined_by && m.safe_from_quarantine)
                }
                onClick={() => void quarantine(m.media_id, !m.quarantined_by)}
                aria-label={`${m.quarantined_by ? 'Release' : 'Quarantine'} ${m.upload_name || m.media_id}`}
              >
                {m.quarantined_by ? 'Release' : 'Quarantine'}
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
