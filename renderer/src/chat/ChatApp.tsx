import { useCallback, useEffect, useMemo, useState } from 'react';
import { HttpApiEvent, type MatrixClient } from 'matrix-js-sdk';
import { LoginForm } from '../shared/auth/LoginForm';
import { navigate } from '../shared/hash-route';
import { clearSession, loadSession, saveSession, type Session } from '../shared/session';
import { ChatShell } from './ChatShell';
import { ClientContext, type ChatClient } from './ClientContext';
import { buildClient, startClient, warmUpCrypto } from './client';
import { clearCryptoStore } from './crypto/setup';
import './chat.css';

/**
 * The chat client: the sign-in form without a stored session, else the running client.
 * The session is kept in localStorage (shared/session.ts), so a reload stays signed in.
 */
export default function ChatApp(props: { route: string[] }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);

  const signedOut = useCallback((why: string | null) => {
    clearSession();
    setNotice(why);
    setSession(null);
    navigate([]);
  }, []);

  useEffect(() => {
    if (!session) warmUpCrypto();
  }, [session]);

  if (!session) {
    return (
      <>
        {notice && (
          <p role="status" className="chat-banner">
            {notice}
          </p>
        )}
        <LoginForm
          onSignedIn={(s) => {
            saveSession(s);
            setNotice(null);
            setSession(s);
          }}
        />
      </>
    );
  }
  return (
    <RunningClient
      key={session.accessToken}
      session={session}
      route={props.route}
      onSignedOut={signedOut}
    />
  );
}

type Phase = { state: 'starting' } | { state: 'ready' } | { state: 'failed'; message: string };

function RunningClient(props: {
  session: Session;
  route: string[];
  onSignedOut: (why: string | null) => void;
}) {
  const { session, onSignedOut } = props;
  const [client, setClient] = useState<MatrixClient | null>(null);
  const [phase, setPhase] = useState<Phase>({ state: 'starting' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const c = buildClient(session);
    let live = true;
    const loggedOut = () => {
      if (!live) return;
      void clearCryptoStore(session.userId).catch(() => undefined);
      onSignedOut('You were signed out: this device was removed or its session ended.');
    };
    c.on(HttpApiEvent.SessionLoggedOut, loggedOut);
    setClient(c);
    setPhase({ state: 'starting' });
    startClient(c).then(
      () => live && setPhase({ state: 'ready' }),
      (e: unknown) => {
        if (!live) return;
        const err = e as { errcode?: string; message?: string };
        if (err.errcode === 'M_UNKNOWN_TOKEN') return;
        setPhase({ state: 'failed', message: err.message ?? String(e) });
      },
    );
    return () => {
      live = false;
      c.off(HttpApiEvent.SessionLoggedOut, loggedOut);
      c.stopClient();
    };
  }, [session, onSignedOut, attempt]);

  const value = useMemo<ChatClient | null>(
    () =>
      client && {
        client,
        session,
        async signOut() {
          try {
            await client.logout(true);
          } catch {
            // The device may already be gone server-side; sign out locally anyway.
            client.stopClient();
          }
          await clearCryptoStore(session.userId).catch(() => undefined);
          onSignedOut(null);
        },
      },
    [client, session, onSignedOut],
  );

  if (phase.state === 'failed') {
    return (
      <main className="centered">
        <h1>Hearth</h1>
        <p role="alert">Could not connect to your server: {phase.message}</p>
        <p>
          <button type="button" className="primary" onClick={() => setAttempt((a) => a + 1)}>
            Try again
          </button>{' '}
          <button type="button" onClick={() => onSignedOut(null)}>
            Sign out
          </button>
        </p>
      </main>
    );
  }
  if (!value || phase.state !== 'ready') {
    return (
      <main className="centered" aria-busy="true">
        <p role="status">Loading your rooms…</p>
      </main>
    );
  }
  return (
    <ClientContext.Provider value={value}>
      <ChatShell route={props.route} />
    </ClientContext.Provider>
  );
}
