import { useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import type { MatrixEvent } from 'matrix-js-sdk';
import { useChatClient } from '../ClientContext';
import { Composer } from './Composer';
import { isEditable, type TileActions } from './EventTile';
import { RoomHeader } from './RoomHeader';
import { roomEvents, Timeline } from './Timeline';
import { useRoom, useRoomVersion, useTyping } from './use-room';
import { useUploads } from './use-uploads';
import './timeline.css';

/**
 * One room: header, timeline and composer. Owner: the timeline engineer.
 * `onOpenSettings` opens the room settings panel (the chat-shell engineer's RoomSettings).
 */
export function RoomView(props: { roomId: string; onOpenSettings: () => void }) {
  const { client } = useChatClient();
  const room = useRoom(client, props.roomId);
  const version = useRoomVersion(client, room);
  const typing = useTyping(client, room);
  const encrypted = room?.hasEncryptionStateEvent() ?? false;
  const uploads = useUploads(client, room, encrypted);
  const [replyTo, setReplyTo] = useState<MatrixEvent | null>(null);
  const [editing, setEditing] = useState<MatrixEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  // The client syncs with lazy-loaded members: load this room's, for names and receipts.
  useEffect(() => {
    void room?.loadMembersIfNeeded().catch(() => undefined);
  }, [room]);

  const actions = useMemo<Omit<TileActions, 'onJumpTo'>>(
    () => ({
      onReply: (ev) => {
        setEditing(null);
        setReplyTo(ev);
      },
      onEdit: (ev) => {
        setReplyTo(null);
        setEditing(ev);
      },
      onError: setError,
    }),
    [],
  );

  const editLast = useCallback(() => {
    if (!room) return;
    const me = client.getUserId() ?? '';
    const events = roomEvents(room);
    for (let i = events.length - 1; i >= 0; i--) {
      const ev = events[i]!;
      if (ev.getRelation()?.rel_type === 'm.replace') continue;
      if (isEditable(ev, me) && ev.getId()?.startsWith('$')) {
        setReplyTo(null);
        setEditing(ev);
        return;
      }
    }
  }, [client, room]);

  if (!room) return <MissingRoom />;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    if (files.length) uploads.send(files);
  };

  return (
    <section
      className="tl-room"
      aria-label={room.name}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <RoomHeader
        client={client}
        room={room}
        encrypted={encrypted}
        onOpenSettings={props.onOpenSettings}
      />
      {error && (
        <div className="tl-banner" role="alert">
          <span>{error}</span>
          <button type="button" className="tl-link-button" onClick={() => setError(null)}>
            Dismiss
          </button>
        </div>
      )}
      <Timeline
        client={client}
        room={room}
        version={version}
        // Previews send the URL to the server: not for encrypted rooms (as Element does).
        previews={!encrypted}
        actions={actions}
      />
      <div className="tl-typing" aria-live="polite">
        {typingLine(typing)}
      </div>
      <Composer
        client={client}
        room={room}
        encrypted={encrypted}
        replyTo={replyTo}
        editing={editing}
        uploads={uploads}
        onCancel={() => {
          setReplyTo(null);
          setEditing(null);
        }}
        onEditLast={editLast}
        onSent={() => setReplyTo(null)}
        onError={setError}
      />
      {dragging && (
        <div className="tl-drop" aria-hidden="true">
          Drop files to send them to {room.name}
        </div>
      )}
    </section>
  );
}

/** "Alice is typing…", "Alice and Bob are typing…", "Alice, Bob and 2 others are typing…". */
export function typingLine(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`;
}

/** A room the client does not know (yet): a join still arriving, or a wrong link. */
function MissingRoom() {
  const [waited, setWaited] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setWaited(true), 8000);
    return () => clearTimeout(t);
  }, []);
  return (
    <section className="tl-room tl-room-empty" aria-label="Room" aria-busy={!waited}>
      <p role="status">
        {waited
          ? 'This room is not in your list: you may not be a member, or the link is wrong.'
          : 'Loading the room…'}
      </p>
    </section>
  );
}
