// The admin views (issue 7): sign-in gate, then the admin shell with its sections.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, MatrixApiError } from '../shared/api';
import { LoginForm } from '../shared/auth/LoginForm';
import { clearSession, loadSession, saveSession, type Session } from '../shared/session';
import { bindCall, users, type Call } from './client';
import { AdminContext, type AdminEnv } from './context';
import { errorText } from './errors';
import { serverOf } from './format';
import { AdminShell } from './AdminShell';
import './admin.css';

type Check =
  | { state: 'checking' }
  | { state: 'admin' }
  | { state: 'not-admin' }
  | { state: 'error'; error: unknown };

/**
 * `route` is the hash's segments after "admin" (#/admin/users/@a:b -> ["users", "@a:b"]).
 * Signed out: the shared sign-in form. Signed in but not a server admin: a plain refusal.
 */
export default function AdminApp(props: { route: string[] }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [check, setCheck] = useState<Check>({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);

  const signOut = useCallback(async (s: Session | null, tellServer: boolean) => {
    if (s && tellServer) {
      // The token dies on the server too; a failure here (server down) still signs out here.
      await api('/_matrix/client/v3/logout', {
        method: 'POST',
        body: {},
        accessToken: s.accessToken,
      }).catch(() => undefined);
    }
    clearSession();
    setSession(null);
  }, []);

  // Every admin request goes through here: an expired or revoked token signs out.
  const call = useMemo<Call | null>(() => {
    if (!session) return null;
    const raw = bindCall(session.accessToken);
    return async (path, opts) => {
      try {
        return await raw(path, opts);
      } catch (e) {
        if (e instanceof MatrixApiError && e.status === 401) void signOut(null, false);
        throw e;
      }
    };
  }, [session, signOut]);

  useEffect(() => {
    if (!session || !call) return;
    let live = true;
    setCheck({ state: 'checking' });
    users.isAdmin(call, session.userId).then(
      (r) => live && setCheck({ state: r.admin ? 'admin' : 'not-admin' }),
      (e: unknown) => {
        if (!live) return;
        if (e instanceof MatrixApiError && e.status === 403) setCheck({ state: 'not-admin' });
        else setCheck({ state: 'error', error: e });
      },
    );
    return () => {
      live = false;
    };
  }, [session, call, attempt]);

  useEffect(() => {
    if (!session) document.title = 'Sign in · Hearth admin';
  }, [session]);

  if (!session || !call) {
    return (
      <>
        {/* The form is a page of its own (its <main> and heading). */}
        <LoginForm
          title="Hearth admin"
          onSignedIn={(s) => {
            saveSession(s);
            setSession(s);
          }}
        />
        <nav className="adm-gate-back" aria-label="Other pages">
          <a href="#/">Back to chat</a>
        </nav>
      </>
    );
  }

  if (check.state === 'checking') {
    return (
      <main className="adm-gate" aria-busy="true">
        <p role="status">Checking your account…</p>
      </main>
    );
  }
  if (check.state === 'error') {
    return (
      <main className="adm-gate">
        <h1>Hearth admin</h1>
        <p role="alert">Could not check your account: {errorText(check.error)}</p>
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </main>
    );
  }
  if (check.state === 'not-admin') {
    return (
      <main className="adm-gate">
        <h1>This account is not a server admin</h1>
        <p>
          You are signed in as <strong>{session.userId}</strong>. Only server admins can use these
          pages. Ask the person who runs this server to make your account an admin, or sign in with
          an admin account.
        </p>
        <div className="adm-row">
          <a className="adm-button-link" href="#/">
            Back to chat
          </a>
          <button type="button" onClick={() => void signOut(session, true)}>
            Sign in as someone else
          </button>
        </div>
      </main>
    );
  }

  const env: AdminEnv = { call, me: session.userId, serverName: serverOf(session.userId) };
  return (
    <AdminContext.Provider value={env}>
      <AdminShell route={props.route} onSignOut={() => void signOut(session, true)} />
    </AdminContext.Provider>
  );
}
