import { useEffect, useState } from 'react';
import { ClientEvent, RoomEvent } from 'matrix-js-sdk';
import { navigate } from '../shared/hash-route';
import { useChatClient } from './ClientContext';
import { PaneBoundary } from './PaneBoundary';
import { RoomSettings } from './RoomSettings';
import { Sidebar } from './Sidebar';
import { RoomView } from './timeline/RoomView';
import { UserSettings } from './UserSettings';
import { watchNotifications } from './notifications';
import { useClientUpdates } from './use-client-updates';

/**
 * The chat's layout: the room list beside the open room (and its settings panel) at full
 * screen; one pane at a time on a narrow screen, with a back button. The route says what
 * is open: #/room/<id>, #/room/<id>/settings, #/settings.
 */
export function ChatShell(props: { route: string[] }) {
  const { client } = useChatClient();
  const [head, roomId, sub] = props.route;
  const room = head === 'room' && roomId ? roomId : null;
  const view =
    head === 'settings' ? 'settings' : room ? (sub === 'settings' ? 'panel' : 'room') : 'list';

  useEffect(() => watchNotifications(client, (id) => navigate(['room', id])), [client]);

  // A room just created or joined arrives with the next sync: wait for it a little; a room
  // the person left (or never had) cannot be shown.
  useClientUpdates(client, [ClientEvent.Room, RoomEvent.MyMembership]);
  const [waitedLong, setWaitedLong] = useState(false);
  useEffect(() => {
    setWaitedLong(false);
    const t = setTimeout(() => setWaitedLong(true), 10_000);
    return () => clearTimeout(t);
  }, [room]);
  const membership = room ? client.getRoom(room)?.getMyMembership() : undefined;
  const missing = room !== null && membership !== 'join';

  return (
    <div className="chat-shell" data-view={view}>
      <Sidebar selected={room} />
      <main className="chat-main" aria-label={view === 'settings' ? 'Settings' : 'Conversation'}>
        <div className="chat-narrow-bar">
          <button
            type="button"
            className="chat-back"
            onClick={() => navigate([])}
            aria-label="Back to room list"
          >
            ← Rooms
          </button>
        </div>
        {view === 'settings' ? (
          <UserSettings />
        ) : room && !missing ? (
          <PaneBoundary key={room} what="room">
            <RoomView roomId={room} onOpenSettings={() => navigate(['room', room, 'settings'])} />
          </PaneBoundary>
        ) : room && !membership && !waitedLong ? (
          <div className="chat-empty" aria-busy="true">
            <p role="status">Opening the room…</p>
          </div>
        ) : room ? (
          <div className="chat-empty">
            <h2>Room not available</h2>
            <p>You are not in this room. It may have been left, or the link is wrong.</p>
          </div>
        ) : (
          <div className="chat-empty">
            <h2>Welcome to Hearth</h2>
            <p>Pick a conversation on the left, or start a new one.</p>
          </div>
        )}
      </main>
      {view === 'panel' && room && !missing && (
        <RoomSettings key={room} roomId={room} onClose={() => navigate(['room', room])} />
      )}
    </div>
  );
}
