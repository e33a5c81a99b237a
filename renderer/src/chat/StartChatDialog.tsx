import { useEffect, useState, type FormEvent } from 'react';
import { Avatar } from './Avatar';
import { useChatClient } from './ClientContext';
import { Dialog, errorMessage } from './Dialog';
import { isUserId } from './links';
import { findDirectRoom, startDirectChat } from './room-actions';

interface Person {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/**
 * Start a direct chat: search the user directory by name, or type a full user id. An
 * existing chat with that person is opened instead of making a second one.
 */
export function StartChatDialog(props: { onDone: (roomId?: string) => void }) {
  const { client, session } = useChatClient();
  const [term, setTerm] = useState('');
  const [results, setResults] = useState<Person[]>([]);
  const [searching, setSearching] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const t = term.trim();
    if (!t) {
      setResults([]);
      return;
    }
    let live = true;
    setSearching(true);
    const timer = setTimeout(() => {
      client
        .searchUserDirectory({ term: t, limit: 10 })
        .then((r) => live && setResults(r.results.filter((p) => p.user_id !== session.userId)))
        .catch(() => live && setResults([]))
        .finally(() => live && setSearching(false));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, term, session.userId]);

  const start = async (userId: string) => {
    setBusy(true);
    setError(null);
    try {
      props.onDone(findDirectRoom(client, userId) ?? (await startDirectChat(client, userId)));
    } catch (err) {
      setError(
        errorMessage(err, {
          M_NOT_FOUND: `There is no one called ${userId}.`,
          M_FORBIDDEN: `${userId} cannot be invited.`,
        }),
      );
      setBusy(false);
    }
  };

  const typedId = term.trim();
  const showTyped =
    isUserId(typedId) && !results.some((p) => p.user_id === typedId) && typedId !== session.userId;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (isUserId(typedId)) void start(typedId);
    else if (results.length === 1) void start(results[0]!.user_id);
  };

  return (
    <Dialog title="Start a chat" onClose={() => props.onDone()}>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-dm-search">Name or user ID</label>
        <input
          id="chat-dm-search"
          autoFocus
          autoCapitalize="none"
          spellCheck={false}
          placeholder="Bob, or @bob:example.org"
          value={term}
          onChange={(e) => setTerm(e.target.value)}
          aria-describedby="chat-dm-help"
        />
        <p id="chat-dm-help" className="chat-help">
          Direct chats are end-to-end encrypted.
        </p>
        <p role="status" className="visually-hidden">
          {searching ? 'Searching…' : term.trim() ? `${results.length} people found` : ''}
        </p>
        <ul className="chat-people" aria-label="People">
          {showTyped && (
            <li>
              <button
                type="button"
                className="chat-person"
                disabled={busy}
                onClick={() => start(typedId)}
              >
                <Avatar client={client} name={typedId} id={typedId} size={28} />
                <span>
                  <strong>{typedId}</strong>
                </span>
              </button>
            </li>
          )}
          {results.map((p) => (
            <li key={p.user_id}>
              <button
                type="button"
                className="chat-person"
                disabled={busy}
                onClick={() => start(p.user_id)}
              >
                <Avatar
                  client={client}
                  mxc={p.avatar_url}
                  name={p.display_name || p.user_id}
                  id={p.user_id}
                  size={28}
                />
                <span>
                  <strong>{p.display_name || p.user_id}</strong>
                  <small>{p.user_id}</small>
                </span>
              </button>
            </li>
          ))}
        </ul>
        {!searching && term.trim() && !results.length && !showTyped && (
          <p className="chat-help">No one found. Type a full user ID like @bob:example.org.</p>
        )}
        {error && (
          <p role="alert" className="chat-error">
            {error}
          </p>
        )}
        {busy && <p role="status">Starting the chat…</p>}
      </form>
    </Dialog>
  );
}
