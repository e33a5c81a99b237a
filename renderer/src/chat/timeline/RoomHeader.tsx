import type { MatrixClient, Room } from 'matrix-js-sdk';
import { Icon } from './icons';
import { Avatar } from './Avatar';

/** The room's name, topic, picture, member count, encryption badge and settings button. */
export function RoomHeader(props: {
  client: MatrixClient;
  room: Room;
  encrypted: boolean;
  onOpenSettings: () => void;
}) {
  const { room } = props;
  const topic = room.currentState.getStateEvents('m.room.topic', '')?.getContent().topic;
  const members = room.getJoinedMemberCount();
  return (
    <header className="tl-header">
      <Avatar
        client={props.client}
        id={room.roomId}
        name={room.name}
        mxc={room.getMxcAvatarUrl()}
        size={40}
      />
      <div className="tl-header-text">
        <h2 className="tl-header-name">{room.name}</h2>
        <p className="tl-header-meta">
          <span>
            {members} {members === 1 ? 'member' : 'members'}
          </span>
          {props.encrypted && (
            <span className="tl-badge" title="Messages in this room are end-to-end encrypted">
              <Icon name="lock" size={13} /> Encrypted
            </span>
          )}
          {typeof topic === 'string' && topic && (
            <span className="tl-header-topic" title={topic}>
              {topic}
            </span>
          )}
        </p>
      </div>
      <button
        type="button"
        className="tl-icon-button"
        onClick={props.onOpenSettings}
        aria-label="Room settings"
        title="Room settings"
      >
        <Icon name="settings" />
      </button>
    </header>
  );
}
