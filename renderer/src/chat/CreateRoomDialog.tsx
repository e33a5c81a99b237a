import { useState, type FormEvent } from 'react';
import { useChatClient } from './ClientContext';
import { Dialog, errorMessage } from './Dialog';
import { createRoom } from './room-actions';

/** New room: name, topic, private (invite only) or public (listed, anyone may join). */
export function CreateRoomDialog(props: { onDone: (roomId?: string) => void }) {
  const { client } = useChatClient();
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [isPublic, setPublic] = useState(false);
  const [alias, setAlias] = useState('');
  const [encrypted, setEncrypted] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const server = client.getDomain() ?? '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const id = await createRoom(client, {
        name,
        topic,
        isPublic,
        alias,
        encrypted: !isPublic && encrypted,
      });
      props.onDone(id);
    } catch (err) {
      setError(
        errorMessage(err, {
          M_ROOM_IN_USE: 'That address is taken. Pick another one.',
          M_INVALID_PARAM: 'That address is not valid.',
        }),
      );
      setBusy(false);
    }
  };

  return (
    <Dialog title="Create a room" onClose={() => props.onDone()}>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-new-name">Name</label>
        <input
          id="chat-new-name"
          required
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <label htmlFor="chat-new-topic">Topic (optional)</label>
        <input id="chat-new-topic" value={topic} onChange={(e) => setTopic(e.target.value)} />
        <fieldset>
          <legend>Who can join</legend>
          <label className="chat-choice">
            <input
              type="radio"
              name="chat-new-vis"
              checked={!isPublic}
              onChange={() => setPublic(false)}
            />
            <span>
              Private <small>Only people you invite</small>
            </span>
          </label>
          <label className="chat-choice">
            <input
              type="radio"
              name="chat-new-vis"
              checked={isPublic}
              onChange={() => setPublic(true)}
            />
            <span>
              Public <small>Anyone can find and join it</small>
            </span>
          </label>
        </fieldset>
        {isPublic ? (
          <>
            <label htmlFor="chat-new-alias">Address (optional)</label>
            <div className="chat-alias-input">
              <span aria-hidden="true">#</span>
              <input
                id="chat-new-alias"
                value={alias}
                pattern="[^:\s#]+"
                aria-describedby="chat-new-alias-help"
                onChange={(e) => setAlias(e.target.value)}
              />
              <span aria-hidden="true">:{server}</span>
            </div>
            <p id="chat-new-alias-help" className="chat-help">
              Others join with #{alias || 'name'}:{server}
            </p>
          </>
        ) : (
          <label className="chat-choice">
            <input
              type="checkbox"
              checked={encrypted}
              onChange={(e) => setEncrypted(e.target.checked)}
            />
            <span>
              End-to-end encryption <small>Cannot be turned off later</small>
            </span>
          </label>
        )}
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
            {busy ? 'Creating…' : 'Create room'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
