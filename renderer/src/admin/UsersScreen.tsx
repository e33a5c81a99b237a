import { useState } from 'react';
import { hashFor } from '../shared/hash-route';
import { users } from './client';
import { useAdmin } from './context';
import { CreateUserForm } from './CreateUserForm';
import { formatDate } from './format';
import { ListTable, usePagedSearch } from './list-screen';
import { hasMore } from './paging';
import { Badge, OkNote, SearchBox } from './parts';
import { useLoad } from './use-load';

/** Users: search by ID or display name, page through, open one, create one. */
export function UsersScreen() {
  const { call } = useAdmin();
  const { search, setSearch, q, page, setPage, firstPage } = usePagedSearch();
  const [showDeactivated, setShowDeactivated] = useState(false);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);

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
        <SearchBox label="Search users by name or ID" value={search} onChange={setSearch} />
        <label className="adm-check">
          <input
            type="checkbox"
            checked={showDeactivated}
            onChange={(e) => {
              setShowDeactivated(e.target.checked);
              firstPage();
            }}
          />
          Show deactivated
        </label>
      </div>
      <ListTable
        list={list}
        what="users"
        caption="Users on this server"
        columns={['User', 'Role', 'Status', 'Created']}
        rows={rows}
        empty={q ? `No user matches “${q}”.` : 'No users yet.'}
        pager={{
          label: 'Users',
          state: page,
          onChange: setPage,
          total: list.data?.total,
          more: hasMore(list.data?.next_token),
        }}
        row={(u) => (
          <tr key={u.name}>
            <td data-label="User">
              <a href={hashFor(['admin', 'users', u.name])} className="adm-strong">
                {u.displayname || u.name}
              </a>
              {u.displayname && <div className="adm-id">{u.name}</div>}
            </td>
            <td data-label="Role">
              {u.admin ? <Badge tone="warn">Admin</Badge> : u.user_type ? u.user_type : 'User'}
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
        )}
      />
    </section>
  );
}
