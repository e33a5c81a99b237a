import { useState } from 'react';
import { hashFor } from '../shared/hash-route';
import { users } from './client';
import { useAdmin } from './context';
import { CreateUserForm } from './CreateUserForm';
import { formatDate } from './format';
import { DEFAULT_PAGE, hasMore, type PageState } from './paging';
import { Badge, ErrorNote, Loading, OkNote, Pager, SearchBox } from './parts';
import { useDebounced, useLoad } from './use-load';

/** Users: search by ID or display name, page through, open one, create one. */
export function UsersScreen() {
  const { call } = useAdmin();
  const [search, setSearch] = useState('');
  const [showDeactivated, setShowDeactivated] = useState(false);
  const [page, setPage] = useState<PageState>(DEFAULT_PAGE);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const q = useDebounced(search.trim());

  const list = useLoad(
    () => users.list(call, { ...page, name: q, deactivated: showDeactivated }),
    [call, page, q, showDeactivated],
  );
  const rows = list.data?.users ?? [];

  return (
    <section aria-labelledby="adm-users-h">
      <div className="adm-head">
        <h1 id="adm-users-h">Users</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New user
          </button>
        )}
      </div>
      {creating && (
        <CreateUserForm
          onCancel={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            setCreated(id);
            list.reload();
          }}
        />
      )}
      {created && (
        <OkNote>
          Created <a href={hashFor(['admin', 'users', created])}>{created}</a>.
        </OkNote>
      )}
      <div className="adm-toolbar">
        <SearchBox
          label="Search users by name or ID"
          value={search}
          onChange={(v) => {
            setSearch(v);
            setPage((p) => ({ ...p, from: 0 }));
          }}
        />
        <label className="adm-check">
          <input
            type="checkbox"
            checked={showDeactivated}
            onChange={(e) => {
              setShowDeactivated(e.target.checked);
              setPage((p) => ({ ...p, from: 0 }));
            }}
          />
          Show deactivated
        </label>
      </div>
      <ErrorNote error={list.error} onRetry={list.reload} />
      {list.loading && !list.data ? (
        <Loading what="users" />
      ) : (
        <div aria-busy={list.loading}>
          <table className="adm-table">
            <caption className="visually-hidden">Users on this server</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => (
                <tr key={u.name}>
                  <td data-label="User">
                    <a href={hashFor(['admin', 'users', u.name])} className="adm-strong">
                      {u.displayname || u.name}
                    </a>
                    {u.displayname && <div className="adm-id">{u.name}</div>}
                  </td>
                  <td data-label="Role">
                    {u.admin ? (
                      <Badge tone="warn">Admin</Badge>
                    ) : u.user_type ? (
                      u.user_type
                    ) : (
                      'User'
                    )}
                  </td>
                  <td data-label="Status">
                    {u.deactivated ? (
                      <Badge tone="bad">Deactivated</Badge>
                    ) : (
                      <Badge tone="ok">Active</Badge>
                    )}
                  </td>
                  <td data-label="Created">{formatDate(u.creation_ts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && !list.error && (
            <p className="adm-empty">{q ? `No user matches “${q}”.` : 'No users yet.'}</p>
          )}
          <Pager
            label="Users"
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
