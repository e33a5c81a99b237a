import { useState, type FormEvent } from 'react';
import { useChatClient } from './ClientContext';
import { Dialog, errorMessage } from './Dialog';
import { parseJoinTarget } from './links';

/** Join by address (#room:server), room id, matrix.to link or matrix: URI. */
export function JoinRoomDialog(props: { onDone: (roomId?: string) => void }) {
  const { client } = useChatClient();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const target = parseJoinTarget(text);
    if (!target) {
      setError('Enter a room address like #room:example.org, or a matrix.to link.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const room = await client.joinRoom(
        target.target,
        target.via.length ? { viaServers: target.via } : {},
      );
      props.onDone(room.roomId);
    } catch (err) {
      setError(
        errorMessage(err, {
          M_NOT_FOUND: 'No room has that address.',
          M_FORBIDDEN: 'You cannot join this room: it is invite-only, or you were banned.',
          M_UNKNOWN: 'The room could not be reached.',
        }),
      );
      setBusy(false);
    }
  };

  return (
    <Dialog title="Join a room" onClose={() => props.onDone()}>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-join-target">Room address or link</label>
        <input
          id="chat-join-target"
          required
          autoFocus
          autoCapitalize="none"
          spellCheck={false}
          placeholder="#room:example.org"
          aria-describedby="chat-join-help"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <p id="chat-join-help" className="chat-help">
          A #address, or a https://matrix.to/#/… link someone shared.
        </p>
        {error && (
          <p role="alert" className="chat-error">
            {error}
          </p>
        )}
        <div className="chat-form-buttons">
          <button type="button" onClick={() => props.onDone()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Joining…' : 'Join'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
