import { useMemo, useState } from 'react';
import { ClientEvent, RoomEvent, RoomStateEvent, type MatrixClient } from 'matrix-js-sdk';
import { hashFor, navigate } from '../shared/hash-route';
import { Avatar } from './Avatar';
import { useChatClient } from './ClientContext';
import { errorMessage } from './Dialog';
import { useProfileCacheVersion } from './profile-cache';
import { acceptInvite, declineInvite } from './room-actions';
import { roomSummaries } from './room-data';
import { groupRooms, unreadLabel, type RoomSummary } from './room-list';
import { useClientUpdates } from './use-client-updates';

const UPDATES = [
  ClientEvent.Room,
  ClientEvent.DeleteRoom,
  ClientEvent.AccountData,
  RoomEvent.Timeline,
  RoomEvent.Name,
  RoomEvent.MyMembership,
  RoomEvent.UnreadNotifications,
  RoomEvent.Receipt,
  RoomStateEvent.Events,
];

/** Invites, then People (direct chats), then Rooms, each by latest activity. */
export function RoomList(props: { selected: string | null; query: string }) {
  const { client } = useChatClient();
  const tick = useClientUpdates(client, UPDATES);
  const names = useProfileCacheVersion();
  const groups = useMemo(
    () => groupRooms(roomSummaries(client), props.query),
    // `tick` and `names` are change signals: the summaries are read from the client again.
    [client, tick, names, props.query],
  );
  const empty = !groups.invites.length && !groups.people.length && !groups.rooms.length;
  return (
    <div className="chat-room-list">
      {empty && (
        <p className="chat-list-empty" role="status">
          {props.query
            ? 'No rooms match that name.'
            : 'No conversations yet. Start a chat or create a room.'}
        </p>
      )}
      {groups.invites.length > 0 && (
        <Section title="Invites">
          {groups.invites.map((r) => (
            <InviteRow key={r.roomId} client={client} room={r} />
          ))}
        </Section>
      )}
      {groups.people.length > 0 && (
        <Section title="People">
          {groups.people.map((r) => (
            <RoomRow
              key={r.roomId}
              client={client}
              room={r}
              selected={r.roomId === props.selected}
            />
          ))}
        </Section>
      )}
      {groups.rooms.length > 0 && (
        <Section title="Rooms">
          {groups.rooms.map((r) => (
            <RoomRow
              key={r.roomId}
              client={client}
              room={r}
              selected={r.roomId === props.selected}
            />
          ))}
        </Section>
      )}
    </div>
  );
}

function Section(props: { title: string; children: React.ReactNode }) {
  const id = `chat-section-${props.title.toLowerCase()}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id} className="chat-section-title">
        {props.title}
      </h2>
      <ul className="chat-rows">{props.children}</ul>
    </section>
  );
}

function RoomRow(props: { client: MatrixClient; room: RoomSummary; selected: boolean }) {
  const { room, client } = props;
  const avatar = client.getRoom(room.roomId)?.getMxcAvatarUrl();
  const label = unreadLabel(room.unread, room.highlight);
  return (
    <li>
      <a
        className="chat-row"
        href={hashFor(['room', room.roomId])}
        aria-current={props.selected ? 'page' : undefined}
        data-unread={room.unread > 0 || undefined}
      >
        <Avatar client={client} mxc={avatar} name={room.name} id={room.roomId} />
        <span className="chat-row-name">{room.name}</span>
        {label && (
          <>
            <span
              className={room.highlight ? 'chat-badge chat-badge-highlight' : 'chat-badge'}
              aria-hidden="true"
            >
              {room.unread || room.highlight}
            </span>
            <span className="visually-hidden">, {label}</span>
          </>
        )}
      </a>
    </li>
  );
}

function InviteRow(props: { client: MatrixClient; room: RoomSummary }) {
  const { room, client } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (accept: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (accept) {
        await acceptInvite(client, room.roomId);
        navigate(['room', room.roomId]);
      } else {
        await declineInvite(client, room.roomId);
      }
    } catch (e) {
      setError(errorMessage(e, { M_FORBIDDEN: 'You can no longer join this room.' }));
      setBusy(false);
    }
  };
  const from = room.inviter
    ? (client.getRoom(room.roomId)?.getMember(room.inviter)?.name ?? room.inviter)
    : null;
  return (
    <li className="chat-invite">
      <div className="chat-row chat-row-static">
        <Avatar client={client} name={room.name} id={room.roomId} />
        <span className="chat-row-name">
          {room.name}
          {from && <small>Invited by {from}</small>}
        </span>
      </div>
      <div className="chat-invite-actions">
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => act(true)}
          aria-label={`Accept invite to ${room.name}`}
        >
          Accept
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => act(false)}
          aria-label={`Decline invite to ${room.name}`}
        >
          Decline
        </button>
      </div>
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
    </li>
  );
}
