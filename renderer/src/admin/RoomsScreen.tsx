import { useId, useState } from 'react';
import { hashFor } from '../shared/hash-route';
import { rooms } from './client';
import { joinRuleLabel, roomTitle } from './labels';
import { useAdmin } from './context';
import { formatCount } from './format';
import { ListTable, usePagedSearch } from './list-screen';
import { hasMore } from './paging';
import { Badge, SearchBox } from './parts';
import { useLoad } from './use-load';

const ORDERS = [
  { id: 'name', label: 'Name', dir: 'f' },
  { id: 'joined_members', label: 'Most members', dir: 'b' },
  { id: 'joined_local_members', label: 'Most local members', dir: 'b' },
  { id: 'state_events', label: 'Largest (state events)', dir: 'b' },
] as const;

/** Rooms this server knows: search by name, alias or ID, sort, page, open one. */
export function RoomsScreen() {
  const { call } = useAdmin();
  const { search, setSearch, q, page, setPage, firstPage } = usePagedSearch();
  const [order, setOrder] = useState<(typeof ORDERS)[number]['id']>('name');
  const orderId = useId();
  const dir = ORDERS.find((o) => o.id === order)!.dir;
  const list = useLoad(
    () => rooms.list(call, { ...page, search: q, orderBy: order, dir }),
    [call, page, q, order],
  );
  const rows = list.data?.rooms ?? [];

  return (
    <section aria-labelledby="adm-rooms-h">
      <div className="adm-head">
        <h1 id="adm-rooms-h">Rooms</h1>
      </div>
      <div className="adm-toolbar">
        <SearchBox label="Search rooms by name, alias or ID" value={search} onChange={setSearch} />
        <span className="adm-row">
          <label htmlFor={orderId}>Sort by</label>
          <select
            id={orderId}
            value={order}
            onChange={(e) => {
              setOrder(e.target.value as typeof order);
              firstPage();
            }}
          >
            {ORDERS.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </span>
      </div>
      <ListTable
        list={list}
        what="rooms"
        caption="Rooms on this server"
        columns={['Room', 'Members', 'State events', 'Settings']}
        rows={rows}
        empty={q ? `No room matches “${q}”.` : 'No rooms yet.'}
        pager={{
          label: 'Rooms',
          state: page,
          onChange: setPage,
          total: list.data?.total_rooms,
          more: hasMore(list.data?.next_batch),
        }}
        row={(r) => (
          <tr key={r.room_id}>
            <td data-label="Room">
              <a href={hashFor(['admin', 'rooms', r.room_id])} className="adm-strong">
                {roomTitle(r)}
              </a>
              <div className="adm-id">
                {r.canonical_alias && r.name ? r.canonical_alias : r.room_id}
              </div>
            </td>
            <td data-label="Members">
              {formatCount(r.joined_members)}
              <span className="adm-soft"> ({formatCount(r.joined_local_members)} local)</span>
            </td>
            <td data-label="State events">{formatCount(r.state_events)}</td>
            <td data-label="Settings" className="adm-badges">
              {r.encryption ? (
                <Badge tone="ok">Encrypted</Badge>
              ) : (
                <Badge tone="plain">Not encrypted</Badge>
              )}
              {r.public && <Badge tone="warn">In directory</Badge>}
              {r.join_rules && <Badge tone="plain">{joinRuleLabel(r.join_rules)}</Badge>}
            </td>
          </tr>
        )}
      />
    </section>
  );
}
