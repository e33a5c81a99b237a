import { useEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import type { RoomMessageEventContent } from 'matrix-js-sdk/lib/@types/events';
import { buildEditContent, buildTextContent, previewText } from './message-content';
import { sanitizeMessageHtml } from './sanitize';
import { Icon } from './icons';
import type { UploadsState } from './use-uploads';

// The SDK types content per msgtype; ours is built to the spec in message-content.ts.
type SendContent = RoomMessageEventContent;

// The spec suggests re-sending "typing" before the server's timeout runs out.
const TYPING_TIMEOUT_MS = 6000;
const TYPING_REFRESH_MS = 4000;

/**
 * The message box: Enter sends, Shift+Enter adds a line, markdown is formatted, Up on an
 * empty box edits my last message, Escape leaves reply or edit mode. Files come from the
 * attach button or a paste; typing notifications go out while the person types.
 */
export function Composer(props: {
  client: MatrixClient;
  room: Room;
  encrypted: boolean;
  replyTo: MatrixEvent | null;
  editing: MatrixEvent | null;
  uploads: UploadsState;
  onCancel: () => void;
  onEditLast: () => void;
  onSent: () => void;
  onError: (message: string) => void;
}) {
  const { client, room, replyTo, editing } = props;
  const [text, setText] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const typingSince = useRef(0);
  const savedDraft = useRef('');

  const setTyping = (on: boolean) => {
    const now = Date.now();
    if (on && now - typingSince.current < TYPING_REFRESH_MS) return;
    if (!on && typingSince.current === 0) return;
    typingSince.current = on ? now : 0;
    client.sendTyping(room.roomId, on, TYPING_TIMEOUT_MS).catch(() => {
      // Typing is a courtesy: a failure is not worth telling the person about.
    });
  };

  // Stop "typing" when leaving the room.
  useEffect(
    () => () => {
      if (typingSince.current) void client.sendTyping(room.roomId, false, 0).catch(() => undefined);
    },
    [client, room],
  );

  // Edit mode fills the box with the message's text; leaving it restores the draft.
  useEffect(() => {
    if (editing) {
      savedDraft.current = area.current?.value ?? '';
      const body = editing.getContent().body;
      setText(typeof body === 'string' ? body : '');
    } else if (savedDraft.current) {
      setText(savedDraft.current);
      savedDraft.current = '';
    }
    area.current?.focus();
  }, [editing]);

  useEffect(() => {
    if (replyTo) area.current?.focus();
  }, [replyTo]);

  // The box grows with its text up to a limit (CSS max-height), then scrolls.
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const send = () => {
    const body = text.trim();
    if (editing) {
      const before = editing.getContent().body;
      if (body && body !== before) {
        const content = buildEditContent(editing, body, sanitizeMessageHtml);
        client
          .sendMessage(room.roomId, content as unknown as SendContent)
          .catch((e: unknown) =>
            props.onError(
              `The edit could not be sent: ${e instanceof Error ? e.message : String(e)}`,
            ),
          );
      }
      savedDraft.current = '';
      setText('');
      props.onCancel();
      return;
    }
    if (!body) return;
    const content = buildTextContent(body, sanitizeMessageHtml, replyTo);
    // The local echo shows at once; a failure shows on the message with Retry.
    client.sendMessage(room.roomId, content as unknown as SendContent).catch(() => undefined);
    setText('');
    setTyping(false);
    props.onSent();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && (replyTo || editing)) {
      e.preventDefault();
      if (editing) setText('');
      props.onCancel();
    } else if (e.key === 'ArrowUp' && text === '' && !editing) {
      e.preventDefault();
      props.onEditLast();
    }
  };

  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...e.clipboardData.files];
    if (files.length > 0) {
      e.preventDefault();
      props.uploads.send(files);
    }
  };

  const label = editing
    ? 'Edit message'
    : replyTo
      ? 'Reply'
      : room.name
        ? `Message ${room.name}`
        : 'Message';
  const target = editing ?? replyTo;
  return (
    <div className="tl-composer">
      {target && (
        <div className="tl-composer-mode" role="status">
          <span className="tl-composer-mode-text">
            {editing ? (
              <strong>Editing message</strong>
            ) : (
              <>
                <strong>
                  Replying to {room.getMember(target.getSender() ?? '')?.name ?? target.getSender()}
                </strong>
                <span className="tl-composer-mode-quote">{previewText(target)}</span>
              </>
            )}
          </span>
          <button
            type="button"
            className="tl-icon-button"
            aria-label={editing ? 'Cancel editing' : 'Cancel reply'}
            onClick={() => {
              if (editing) setText('');
              props.onCancel();
            }}
          >
            <Icon name="close" />
          </button>
        </div>
      )}
      {props.uploads.items.map((u) => (
        <div key={u.id} className="tl-upload">
          <span className="tl-upload-name">
            {u.error ? `${u.name}: ${u.error}` : `Uploading ${u.name}`}
          </span>
          {!u.error && (
            <progress
              className="tl-upload-bar"
              max={u.total || 1}
              value={u.loaded}
              aria-label={`Uploading ${u.name}`}
            />
          )}
          {u.error && (
            <button
              type="button"
              className="tl-link-button"
              onClick={() => props.uploads.dismiss(u.id)}
            >
              Dismiss
            </button>
          )}
        </div>
      ))}
      <div className="tl-composer-row">
        <button
          type="button"
          className="tl-icon-button"
          aria-label="Attach a file or image"
          title="Attach a file or image"
          onClick={() => fileInput.current?.click()}
        >
          <Icon name="attach" />
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) props.uploads.send(files);
          }}
        />
        <textarea
          ref={area}
          className="tl-composer-input"
          rows={1}
          value={text}
          placeholder={props.encrypted ? 'Send an encrypted message…' : 'Send a message…'}
          aria-label={label}
          onChange={(e) => {
            setText(e.target.value);
            if (!editing) setTyping(e.target.value.trim() !== '');
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        <button
          type="button"
          className="primary tl-send"
          onClick={send}
          disabled={!text.trim()}
          aria-label={editing ? 'Save edit' : 'Send'}
        >
          {editing ? 'Save' : 'Send'}
        </button>
      </div>
    </div>
  );
}
