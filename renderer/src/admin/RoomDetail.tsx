import { useState } from 'react';
import { hashFor, navigate } from '../shared/hash-route';
import { rooms, type DeleteStatus } from './client';
import { ConfirmDialog } from './ConfirmDialog';
import { useAdmin } from './context';
import { formatCount, formatDateTime } from './format';
import { Badge, CopyButton, ErrorNote, Loading, OkNote } from './parts';
import { deleteProgressLabel, joinRuleLabel, roomTitle } from './labels';
import { useLoad } from './use-load';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One room: its settings, members and state; block it, or delete it. */
export function RoomDetail(props: { roomId: string }) {
  const { call } = useAdmin();
  const room = useLoad(() => rooms.get(call, props.roomId), [call, props.roomId]);
  const members = useLoad(() => rooms.members(call, props.roomId), [call, props.roomId]);
  const state = useLoad(() => rooms.state(call, props.roomId), [call, props.roomId]);
  const block = useLoad(
    () => rooms.blockStatus(call, props.roomId).catch(() => null),
    [call, props.roomId],
  );
  const [blockBusy, setBlockBusy] = useState(false);
  const [blockError, setBlockError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [opts, setOpts] = useState({ block: false, purge: true, message: '' });
  const [progress, setProgress] = useState<DeleteStatus | null>(null);
  const r = room.data;
  const blocked = block.data?.block ?? false;

  const setBlocked = async (to: boolean) => {
    setBlockBusy(true);
    setBlockError(null);
    try {
      await rooms.setBlock(call, props.roomId, to);
      setNotice(
        to
          ? 'The room is blocked: nobody on this server can join it.'
          : 'The room is no longer blocked.',
      );
      block.reload();
    } catch (e) {
      setBlockError(e);
    } finally {
      setBlockBusy(false);
    }
  };

  // Deleting runs in the background on the server; poll its status until it ends.
  const runDelete = async () => {
    const { delete_id } = await rooms.remove(call, props.roomId, {
      block: opts.block,
      purge: opts.purge,
      ...(opts.message.trim() ? { message: opts.message.trim() } : {}),
    });
    setProgress('scheduled');
    for (let i = 0; i < 600; i++) {
      const s = await rooms.deleteStatus(call, delete_id);
      setProgress(s.status);
      if (s.status === 'complete') {
        navigate(['admin', 'rooms']);
        return;
      }
      if (s.status === 'failed')
        throw new Error(`Deleting the room failed${s.error ? `: ${s.error}` : '.'}`);
      await sleep(500);
    }
    throw new Error('Deleting the room is taking long; check again later.');
  };

  return (
    <section aria-labelledby="adm-room-h">
      <p className="adm-crumbs">
        <a href={hashFor(['admin', 'rooms'])}>Rooms</a> ›
      </p>
      <div className="adm-head">
        <h1 id="adm-room-h">{r ? roomTitle(r) : props.roomId}</h1>
        {blocked && <Badge tone="bad">Blocked</Badge>}
      </div>
      <ErrorNote error={room.error} onRetry={room.reload} />
      {room.loading && !r && <Loading what="the room" />}
      {notice && <OkNote>{notice}</OkNote>}
      {r && (
        <>
          {r.topic && <p className="adm-soft">{r.topic}</p>}
          <dl className="adm-facts">
            <div>
              <dt>Room ID</dt>
              <dd>
                <code>{r.room_id}</code> <CopyButton text={r.room_id} label="Copy room ID" />
              </dd>
            </div>
            <div>
              <dt>Address</dt>
              <dd>{r.canonical_alias ?? '—'}</dd>
            </div>
            <div>
              <dt>Members</dt>
              <dd>
                {formatCount(r.joined_members)} ({formatCount(r.joined_local_members)} on this
                server)
              </dd>
            </div>
            <div>
              <dt>State events</dt>
              <dd>{formatCount(r.state_events)}</dd>
            </div>
            <div>
              <dt>Room version</dt>
              <dd>{r.version}</dd>
            </div>
            <div>
              <dt>Created by</dt>
              <dd>
                {r.creator ? <a href={hashFor(['admin', 'users', r.creator])}>{r.creator}</a> : '—'}
              </dd>
            </div>
            <div>
              <dt>Who can join</dt>
              <dd>{r.join_rules ? joinRuleLabel(r.join_rules) : '—'}</dd>
            </div>
            <div>
              <dt>Encryption</dt>
              <dd>{r.encryption ? `On (${r.encryption})` : 'Off'}</dd>
            </div>
            <div>
              <dt>Room directory</dt>
              <dd>{r.public ? 'Listed' : 'Not listed'}</dd>
            </div>
          </dl>
          <div className="adm-cards">
            <div className="adm-panel">
              <h2>Block</h2>
              <p className="adm-soft">A blocked room cannot be joined by anyone on this server.</p>
              <ErrorNote error={blockError} />
              <button
                type="button"
                disabled={blockBusy || block.loading}
                onClick={() => void setBlocked(!blocked)}
              >
                {blocked ? 'Unblock room' : 'Block room'}
              </button>
            </div>
            <div className="adm-panel adm-panel-danger">
              <h2>Delete room</h2>
              <p className="adm-soft">
                Removes every local member and, if you choose, deletes its history from this server.
              </p>
              <button type="button" className="adm-danger" onClick={() => setDeleting(true)}>
                Delete room…
              </button>
            </div>
          </div>
        </>
      )}
      <h2>Members</h2>
      <ErrorNote error={members.error} onRetry={members.reload} />
      {members.data && (
        <details className="adm-details" open={members.data.total <= 20}>
          <summary>{formatCount(members.data.total)} joined</summary>
          <ul className="adm-list">
            {members.data.members.map((m) => (
              <li key={m}>
                <a href={hashFor(['admin', 'users', m])}>{m}</a>
              </li>
            ))}
          </ul>
        </details>
      )}
      <h2>State</h2>
      <ErrorNote error={state.error} onRetry={state.reload} />
      {state.data && (
        <details className="adm-details">
          <summary>{formatCount(state.data.state.length)} state events</summary>
          <ul className="adm-state">
            {state.data.state.map((ev) => (
              <li key={`${ev.type}\u0000${ev.state_key}`}>
                <details>
                  <summary>
                    <code>{ev.type}</code>
                    {ev.state_key && <span className="adm-soft"> · {ev.state_key}</span>}
                    {ev.origin_server_ts ? (
                      <span className="adm-soft"> · {formatDateTime(ev.origin_server_ts)}</span>
                    ) : null}
                  </summary>
                  <pre>{JSON.stringify(ev.content, null, 2)}</pre>
                  <p className="adm-soft">Sent by {ev.sender}</p>
                </details>
              </li>
            ))}
          </ul>
        </details>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${r ? roomTitle(r) : props.roomId}?`}
          confirmLabel={progress ? deleteProgressLabel(progress) : 'Delete room'}
          danger
          onClose={() => {
            setDeleting(false);
            setProgress(null);
          }}
          onConfirm={runDelete}
        >
          <p>Everyone on this server is removed from the room. This cannot be undone.</p>
          <label className="adm-check">
            <input
              type="checkbox"
              checked={opts.purge}
              onChange={(e) => setOpts({ ...opts, purge: e.target.checked })}
            />
            Delete its history from this server (purge)
          </label>
          <label className="adm-check">
            <input
              type="checkbox"
              checked={opts.block}
              onChange={(e) => setOpts({ ...opts, block: e.target.checked })}
            />
            Block it, so nobody here can join it again
          </label>
          <label className="adm-stack">
            Message to the members (optional)
            <input
              value={opts.message}
              onChange={(e) => setOpts({ ...opts, message: e.target.value })}
            />
          </label>
          {progress && (
            <p role="status" className="adm-soft">
              {deleteProgressLabel(progress)}
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
