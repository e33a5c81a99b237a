import { memo, useEffect, useState } from 'react';
import { EventStatus, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { Avatar } from './Avatar';
import { MessageBody } from './MessageBody';
import { previewText, replyToId } from './message-content';
import { ReactionPicker, ReactionRow, toggleReaction } from './Reactions';
import { Icon } from './icons';
import { ReadReceipts } from './ReadReceipts';

export interface TileActions {
  onReply: (ev: MatrixEvent) => void;
  onEdit: (ev: MatrixEvent) => void;
  onJumpTo: (eventId: string) => void;
  onError: (message: string) => void;
}

/** Whether `ev` is a text message of mine that can be edited. */
export function isEditable(ev: MatrixEvent, me: string): boolean {
  if (ev.getSender() !== me || ev.isRedacted() || ev.getType() !== 'm.room.message') return false;
  if (ev.isDecryptionFailure()) return false;
  const t = ev.getContent().msgtype;
  return t === 'm.text' || t === 'm.emote' || t === 'm.notice';
}

function timeOf(ev: MatrixEvent): string {
  return new Date(ev.getTs()).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * One message: sender and time (first of a group), the reply it quotes, its body, its
 * reactions and who has read up to it, and the actions (reply, react, edit, delete) shown
 * on hover or when focus is inside.
 */
export const EventTile = memo(function EventTile(props: {
  client: MatrixClient;
  room: Room;
  event: MatrixEvent;
  covered: MatrixEvent[];
  continuation: boolean;
  highlighted: boolean;
  previews: boolean;
  actions: TileActions;
  /** Changes when anything in the room changes (re-render the memoised tile). */
  version: number;
}) {
  const { client, room, event, actions } = props;
  const me = client.getUserId() ?? '';
  const sender = event.getSender() ?? '';
  const member = room.getMember(sender);
  const name = member?.name ?? event.sender?.name ?? sender;
  const [picker, setPicker] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const id = event.getId() ?? '';
  const sent = !!id && id.startsWith('$');
  const status = event.status;
  const redacted = event.isRedacted();
  const canRedact = sent && !redacted && room.currentState.maySendRedactionForEvent(event, me);
  const replyId = replyToId(event);

  const remove = () => {
    setConfirmDelete(false);
    client
      .redactEvent(room.roomId, id)
      .catch((e: unknown) =>
        actions.onError(
          `The message could not be deleted: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
  };

  return (
    <li
      className={`tl-msg${props.continuation ? ' tl-msg-cont' : ''}${props.highlighted ? ' tl-msg-highlight' : ''}${
        status === EventStatus.NOT_SENT ? ' tl-msg-failed' : ''
      }`}
      id={id ? `tl-ev-${id}` : undefined}
      data-event-id={id}
      tabIndex={-1}
      aria-label={`${name}, ${timeOf(event)}`}
    >
      <div className="tl-msg-gutter">
        {props.continuation ? (
          <time className="tl-msg-time-side" dateTime={new Date(event.getTs()).toISOString()}>
            {timeOf(event)}
          </time>
        ) : (
          <Avatar
            client={client}
            id={sender}
            name={name}
            mxc={member?.getMxcAvatarUrl()}
            size={32}
          />
        )}
      </div>
      <div className="tl-msg-main">
        {!props.continuation && (
          <div className="tl-msg-head">
            <span className="tl-msg-sender">{name}</span>
            <time className="tl-msg-time" dateTime={new Date(event.getTs()).toISOString()}>
              {timeOf(event)}
            </time>
          </div>
        )}
        {replyId && !redacted && (
          <ReplyQuote client={client} room={room} eventId={replyId} onJumpTo={actions.onJumpTo} />
        )}
        <MessageBody client={client} event={event} previews={props.previews} />
        {status === EventStatus.SENDING ||
        status === EventStatus.QUEUED ||
        status === EventStatus.ENCRYPTING ? (
          <span className="tl-msg-status">Sending…</span>
        ) : status === EventStatus.NOT_SENT ? (
          <span className="tl-msg-status tl-error" role="alert">
            Not sent.{' '}
            <button
              type="button"
              className="tl-link-button"
              onClick={() => void client.resendEvent(event, room)}
            >
              Retry
            </button>{' '}
            <button
              type="button"
              className="tl-link-button"
              onClick={() => client.cancelPendingEvent(event)}
            >
              Remove
            </button>
          </span>
        ) : null}
        {sent && (
          <ReactionRow client={client} room={room} event={event} onError={actions.onError} />
        )}
        <ReadReceipts client={client} room={room} events={props.covered} />
        {confirmDelete && (
          <div className="tl-confirm" role="alertdialog" aria-label="Delete this message?">
            <span>Delete this message for everyone?</span>
            <button type="button" className="tl-danger" onClick={remove} autoFocus>
              Delete
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </div>
        )}
      </div>
      {sent && !redacted && (
        <div
          className="tl-actions"
          role="toolbar"
          aria-label={`Actions for the message from ${name}`}
        >
          <button
            type="button"
            className="tl-icon-button"
            aria-label="React"
            title="React"
            aria-expanded={picker}
            onClick={() => setPicker((p) => !p)}
          >
            <Icon name="react" />
          </button>
          <button
            type="button"
            className="tl-icon-button"
            aria-label="Reply"
            title="Reply"
            onClick={() => actions.onReply(event)}
          >
            <Icon name="reply" />
          </button>
          {isEditable(event, me) && (
            <button
              type="button"
              className="tl-icon-button"
              aria-label="Edit"
              title="Edit"
              onClick={() => actions.onEdit(event)}
            >
              <Icon name="edit" />
            </button>
          )}
          {canRedact && (
            <button
              type="button"
              className="tl-icon-button"
              aria-label="Delete"
              title="Delete"
              onClick={() => setConfirmDelete(true)}
            >
              <Icon name="delete" />
            </button>
          )}
          {picker && (
            <ReactionPicker
              onClose={() => setPicker(false)}
              onPick={(key) => {
                setPicker(false);
                toggleReaction(client, room, event, key).catch((e: unknown) =>
                  actions.onError(
                    `The reaction could not be sent: ${e instanceof Error ? e.message : String(e)}`,
                  ),
                );
              }}
            />
          )}
        </div>
      )}
    </li>
  );
});

/** The quoted message a reply answers; click to jump to it. */
function ReplyQuote(props: {
  client: MatrixClient;
  room: Room;
  eventId: string;
  onJumpTo: (id: string) => void;
}) {
  const { client, room, eventId } = props;
  const [fetched, setFetched] = useState<MatrixEvent | null | 'missing'>(null);
  const local = room.findEventById(eventId);
  useEffect(() => {
    if (local) return;
    let live = true;
    // Not loaded yet (older than the loaded history): fetch that one event to quote it.
    client
      .fetchRoomEvent(room.roomId, eventId)
      .then(async (raw) => {
        const ev = client.getEventMapper()(raw);
        if (ev.isEncrypted()) await client.decryptEventIfNeeded(ev);
        if (live) setFetched(ev);
      })
      .catch(() => live && setFetched('missing'));
    return () => {
      live = false;
    };
  }, [client, room, eventId, local]);
  const ev = local ?? (fetched === 'missing' ? null : fetched);
  if (fetched === 'missing' && !local) {
    return (
      <div className="tl-quote tl-quote-missing">
        In reply to a message that could not be loaded
      </div>
    );
  }
  const who = ev ? (room.getMember(ev.getSender() ?? '')?.name ?? ev.getSender()) : '…';
  return (
    <button
      type="button"
      className="tl-quote"
      onClick={() => props.onJumpTo(eventId)}
      title="Show the original message"
    >
      <span className="tl-quote-sender">
        <span className="visually-hidden">In reply to </span>
        {who}
      </span>
      <span className="tl-quote-text">{ev ? previewText(ev) : 'Loading…'}</span>
    </button>
  );
}
