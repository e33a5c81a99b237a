import { PictureButton } from './PictureButton';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ClientEvent, EventType, RoomEvent, RoomStateEvent } from 'matrix-js-sdk';
import { navigate } from '../shared/hash-route';
import { Avatar } from './Avatar';
import { useChatClient } from './ClientContext';
import { errorMessage } from './Dialog';
import { RoomMembers } from './RoomMembers';
import { mayChangeState } from './power';
import { roomAuth } from './room-auth';
import { notifyLevelOf, type NotifyLevel } from './notify-level';
import { leaveRoom, setNotifyLevel } from './room-actions';
import { useClientUpdates } from './use-client-updates';

const UPDATES = [RoomStateEvent.Events, RoomEvent.Name, ClientEvent.AccountData];

/**
 * A room's settings, beside the room (a full pane on a narrow screen): name, topic and
 * picture for those allowed to change them, notifications, people, and leaving.
 */
export function RoomSettings(props: { roomId: string; onClose: () => void }) {
  const { client, session } = useChatClient();
  useClientUpdates(client, UPDATES);
  const room = client.getRoom(props.roomId);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  if (!room) return null;
  const state = room.currentState;
  const me = session.userId;
  const auth = roomAuth(room);
  const topic =
    (state.getStateEvents(EventType.RoomTopic, '')?.getContent().topic as string | undefined) ?? '';

  return (
    <aside className="chat-panel" aria-labelledby="chat-panel-title">
      <div className="chat-panel-head">
        <h2 id="chat-panel-title" tabIndex={-1} ref={headingRef}>
          Room settings
        </h2>
        <button
          type="button"
          className="chat-icon-button"
          aria-label="Close room settings"
          onClick={props.onClose}
        >
          ✕
        </button>
      </div>
      <GeneralSection
        roomId={room.roomId}
        name={room.name}
        topic={topic}
        avatar={room.getMxcAvatarUrl()}
        canName={mayChangeState(auth, me, EventType.RoomName)}
        canTopic={mayChangeState(auth, me, EventType.RoomTopic)}
        canAvatar={mayChangeState(auth, me, EventType.RoomAvatar)}
      />
      <NotificationsSection roomId={room.roomId} />
      <RoomMembers roomId={room.roomId} />
      <LeaveSection roomId={room.roomId} name={room.name} />
    </aside>
  );
}

function GeneralSection(props: {
  roomId: string;
  name: string;
  topic: string;
  avatar: string | null;
  canName: boolean;
  canTopic: boolean;
  canAvatar: boolean;
}) {
  const { client } = useChatClient();
  // Until edited, the fields follow the room (another admin may rename it meanwhile).
  const [draft, setDraft] = useState<{ name: string; topic: string } | null>(null);
  const name = draft?.name ?? props.name;
  const topic = draft?.topic ?? props.topic;
  const setName = (n: string) => setDraft({ name: n, topic });
  const setTopic = (t: string) => setDraft({ name, topic: t });
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setStatus(null);
    try {
      if (props.canName && name.trim() !== props.name)
        await client.setRoomName(props.roomId, name.trim());
      if (props.canTopic && topic.trim() !== props.topic)
        await client.setRoomTopic(props.roomId, topic.trim());
      setDraft(null);
      setStatus({ ok: true, text: 'Saved.' });
    } catch (err) {
      setStatus({
        ok: false,
        text: errorMessage(err, { M_FORBIDDEN: 'You are not allowed to change this.' }),
      });
    }
    setBusy(false);
  };

  const upload = async (file: File) => {
    setBusy(true);
    setStatus({ ok: true, text: 'Uploading picture…' });
    try {
      const { content_uri } = await client.uploadContent(file, { type: file.type });
      await client.sendStateEvent(props.roomId, EventType.RoomAvatar, { url: content_uri }, '');
      setStatus({ ok: true, text: 'Picture changed.' });
    } catch (err) {
      setStatus({
        ok: false,
        text: errorMessage(err, { M_TOO_LARGE: 'That picture is too large.' }),
      });
    }
    setBusy(false);
  };

  const editable = props.canName || props.canTopic;
  return (
    <section className="chat-settings-section" aria-labelledby="chat-room-general">
      <h3 id="chat-room-general">General</h3>
      <div className="chat-avatar-row">
        <Avatar client={client} mxc={props.avatar} name={props.name} id={props.roomId} size={64} />
        {props.canAvatar && (
          <PictureButton
            id="chat-room-avatar-file"
            label="Room picture"
            busy={busy}
            onFile={(f) => void upload(f)}
          />
        )}
      </div>
      <form className="chat-form" onSubmit={save}>
        <label htmlFor="chat-room-name">Room name</label>
        <input
          id="chat-room-name"
          value={name}
          readOnly={!props.canName}
          onChange={(e) => setName(e.target.value)}
        />
        <label htmlFor="chat-room-topic">Topic</label>
        <textarea
          id="chat-room-topic"
          rows={2}
          value={topic}
          readOnly={!props.canTopic}
          onChange={(e) => setTopic(e.target.value)}
        />
        {editable && (
          <div className="chat-form-buttons">
            <button
              type="submit"
              className="primary"
              disabled={busy || (name.trim() === props.name && topic.trim() === props.topic)}
            >
              Save
            </button>
          </div>
        )}
        {!editable && <p className="chat-help">Only moderators can change the name and topic.</p>}
      </form>
      {status && (
        <p role={status.ok ? 'status' : 'alert'} className={status.ok ? 'chat-ok' : 'chat-error'}>
          {status.text}
        </p>
      )}
    </section>
  );
}

const LEVELS: { value: NotifyLevel; label: string; help: string }[] = [
  { value: 'all', label: 'All messages', help: 'Notify for every message' },
  { value: 'mentions', label: 'Mentions and keywords', help: 'Only when someone mentions you' },
  { value: 'mute', label: 'Off', help: 'Never notify (muted)' },
];

function NotificationsSection(props: { roomId: string }) {
  const { client } = useChatClient();
  const [level, setLevel] = useState<NotifyLevel>(() =>
    notifyLevelOf(client.pushRules?.global, props.roomId),
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const choose = async (l: NotifyLevel) => {
    const before = level;
    setLevel(l);
    setBusy(true);
    setError(null);
    try {
      await setNotifyLevel(client, props.roomId, l);
    } catch (err) {
      setLevel(before);
      setError(errorMessage(err));
    }
    setBusy(false);
  };
  return (
    <section className="chat-settings-section" aria-labelledby="chat-room-notify">
      <h3 id="chat-room-notify">Notifications</h3>
      <fieldset disabled={busy} aria-labelledby="chat-room-notify">
        {LEVELS.map((l) => (
          <label key={l.value} className="chat-choice">
            <input
              type="radio"
              name="chat-room-notify"
              checked={level === l.value}
              onChange={() => choose(l.value)}
            />
            <span>
              {l.label} <small>{l.help}</small>
            </span>
          </label>
        ))}
      </fieldset>
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
    </section>
  );
}

function LeaveSection(props: { roomId: string; name: string }) {
  const { client } = useChatClient();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await leaveRoom(client, props.roomId);
      navigate([]);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <section className="chat-settings-section" aria-labelledby="chat-room-leave">
      <h3 id="chat-room-leave">Leave</h3>
      {!confirming ? (
        <button type="button" className="chat-danger" onClick={() => setConfirming(true)}>
          Leave room
        </button>
      ) : (
        <div role="group" aria-label="Confirm leaving">
          <p>Leave {props.name}? You will need an invite to come back if it is private.</p>
          <div className="chat-form-buttons">
            <button type="button" onClick={() => setConfirming(false)}>
              Stay
            </button>
            <button type="button" className="chat-danger" disabled={busy} onClick={leave}>
              {busy ? 'Leaving…' : 'Leave'}
            </button>
          </div>
        </div>
      )}
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
    </section>
  );
}
