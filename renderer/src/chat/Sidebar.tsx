import { useState } from 'react';
import { navigate } from '../shared/hash-route';
import { Avatar } from './Avatar';
import { useChatClient } from './ClientContext';
import { CreateRoomDialog } from './CreateRoomDialog';
import { JoinRoomDialog } from './JoinRoomDialog';
import { NotificationPrompt } from './NotificationPrompt';
import { RoomList } from './RoomList';
import { StartChatDialog } from './StartChatDialog';
import { useOwnProfile } from './own-profile';

type Open = 'none' | 'create' | 'dm' | 'join';

/** The left column: who is signed in, the actions to start something, and the room list. */
export function Sidebar(props: { selected: string | null }) {
  const { client, session } = useChatClient();
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<Open>('none');
  const me = useOwnProfile(client);
  const myName = me.displayName || session.userId;

  const done = (roomId?: string) => {
    setOpen('none');
    if (roomId) navigate(['room', roomId]);
  };

  return (
    <nav className="chat-sidebar" aria-label="Rooms and people">
      <div className="chat-me">
        <Avatar client={client} mxc={me.avatarUrl} name={myName} id={session.userId} size={32} />
        <div className="chat-me-names">
          <strong>{myName}</strong>
          <span>{session.userId}</span>
        </div>
        <button
          type="button"
          className="chat-icon-button"
          aria-label="Settings"
          title="Settings"
          onClick={() => navigate(['settings'])}
        >
          ⚙
        </button>
      </div>
      <div className="chat-actions">
        <button type="button" onClick={() => setOpen('dm')}>
          Start chat
        </button>
        <button type="button" onClick={() => setOpen('create')}>
          New room
        </button>
        <button type="button" onClick={() => setOpen('join')}>
          Join
        </button>
      </div>
      <div className="chat-search">
        <label htmlFor="chat-room-search" className="visually-hidden">
          Search rooms by name
        </label>
        <input
          id="chat-room-search"
          type="search"
          placeholder="Search rooms"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      <NotificationPrompt compact />
      <RoomList selected={props.selected} query={query} />
      {open === 'create' && <CreateRoomDialog onDone={done} />}
      {open === 'dm' && <StartChatDialog onDone={done} />}
      {open === 'join' && <JoinRoomDialog onDone={done} />}
    </nav>
  );
}
