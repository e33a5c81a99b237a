import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, MatrixApiError } from '../api';
import type { Session } from '../session';
import { discoverHomeserver } from './homeserver';
import {
  authErrorText,
  chooseFlow,
  DUMMY_STAGE,
  nextStage,
  TOKEN_STAGE,
  type UiaFlow,
} from './register-flow';
import './auth.css';

interface LoginResponse {
  user_id: string;
  access_token: string;
  device_id: string;
}

interface UiaBody {
  flows?: UiaFlow[];
  session?: string;
  completed?: string[];
  errcode?: string;
  error?: string;
}

/** What registration looks like on this server, learnt from a first empty /register. */
type RegisterInfo =
  | { state: 'loading' }
  | { state: 'closed' }
  | { state: 'unsupported' }
  | { state: 'open'; flow: UiaFlow }
  | { state: 'error'; message: string };

const DEVICE_NAME = 'Hearth web';

/** "@alice:example.org" or "alice" both sign in (the server knows its own name). */
function identifierFor(user: string) {
  return { type: 'm.id.user', user: user.trim() };
}

function errorText(e: unknown): string {
  if (e instanceof MatrixApiError) return authErrorText(e.errcode, e.message);
  if (e instanceof TypeError) return 'Could not reach the server. Check the connection.';
  return e instanceof Error ? e.message : String(e);
}

async function probeRegistration(): Promise<RegisterInfo> {
  try {
    // An empty request starts a UIA session and answers 401 with the flows on offer.
    await api('/_matrix/client/v3/register', { method: 'POST', body: {} });
    return { state: 'error', message: 'The server answered registration unexpectedly.' };
  } catch (e) {
    if (e instanceof MatrixApiError && e.status === 401) {
      const flow = chooseFlow((e.body as UiaBody).flows ?? []);
      return flow ? { state: 'open', flow } : { state: 'unsupported' };
    }
    if (e instanceof MatrixApiError && e.status === 403) return { state: 'closed' };
    return { state: 'error', message: errorText(e) };
  }
}

/**
 * Sign-in, and registration where the server allows it (with a registration token when its
 * flows require one). Shared by the chat client and the admin views: `onSignedIn` gets the
 * new session; the caller stores it.
 */
export function LoginForm(props: { onSignedIn: (session: Session) => void; title?: string }) {
  const [mode, setMode] = useState<'signin' | 'register'>('signin');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reg, setReg] = useState<RegisterInfo>({ state: 'loading' });
  const ids = useId();

  useEffect(() => {
    if (mode !== 'register') return;
    let live = true;
    setReg({ state: 'loading' });
    void probeRegistration().then((r) => live && setReg(r));
    return () => {
      live = false;
    };
  }, [mode]);

  const needsToken = reg.state === 'open' && reg.flow.stages.includes(TOKEN_STAGE);

  async function finish(homeserverUrl: string, r: LoginResponse) {
    props.onSignedIn({
      homeserverUrl,
      userId: r.user_id,
      accessToken: r.access_token,
      deviceId: r.device_id,
    });
  }

  async function signIn() {
    const homeserverUrl = await discoverHomeserver();
    const r = await api<LoginResponse>(`${homeserverUrl}/_matrix/client/v3/login`, {
      method: 'POST',
      body: {
        type: 'm.login.password',
        identifier: identifierFor(username),
        password,
        initial_device_display_name: DEVICE_NAME,
      },
    });
    await finish(homeserverUrl, r);
  }

  async function register() {
    if (reg.state !== 'open') return;
    if (password !== confirm) throw new Error('The two passwords are not the same.');
    const homeserverUrl = await discoverHomeserver();
    const url = `${homeserverUrl}/_matrix/client/v3/register`;
    const body = {
      username: username.trim().replace(/^@/, '').split(':')[0],
      password,
      initial_device_display_name: DEVICE_NAME,
    };
    let auth: Record<string, unknown> | undefined;
    // Each round completes one stage; the server says which are done.
    for (let round = 0; round < 5; round++) {
      try {
        const r = await api<LoginResponse>(url, { method: 'POST', body: { ...body, auth } });
        return finish(homeserverUrl, r);
      } catch (e) {
        if (!(e instanceof MatrixApiError) || e.status !== 401) throw e;
        const uia = e.body as UiaBody;
        if (auth?.type === TOKEN_STAGE && !(uia.completed ?? []).includes(TOKEN_STAGE)) {
          throw new Error('That registration token is not valid, or has been used up.');
        }
        const flow = chooseFlow(uia.flows ?? []) ?? reg.flow;
        const stage = nextStage(flow, uia.completed ?? []);
        if (!stage || !uia.session) throw new Error(uia.error ?? 'Registration did not finish.');
        if (stage === TOKEN_STAGE)
          auth = { type: TOKEN_STAGE, token: token.trim(), session: uia.session };
        else if (stage === DUMMY_STAGE) auth = { type: DUMMY_STAGE, session: uia.session };
        else throw new Error('This server asks for a registration step the app cannot do.');
      }
    }
    throw new Error('Registration did not finish.');
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signin') await signIn();
      else await register();
    } catch (err) {
      setError(
        mode === 'register' && err instanceof MatrixApiError && err.errcode === 'M_FORBIDDEN'
          ? 'This server does not allow new accounts.'
          : errorText(err),
      );
      setBusy(false);
    }
  }

  const registering = mode === 'register';
  const canRegister = reg.state === 'open';
  return (
    <main className="auth-page">
      <form
        className="auth-card"
        onSubmit={submit}
        aria-describedby={error ? `${ids}-err` : undefined}
      >
        <h1>{props.title ?? (registering ? 'Create an account' : 'Sign in')}</h1>
        {props.title && (
          <h2 className="auth-subtitle">{registering ? 'Create an account' : 'Sign in'}</h2>
        )}
        {registering && reg.state === 'loading' && (
          <p role="status">Checking whether this server takes new accounts…</p>
        )}
        {registering && reg.state === 'closed' && (
          <p role="alert" className="auth-note">
            This server does not allow new accounts. Ask its admin for an account.
          </p>
        )}
        {registering && reg.state === 'unsupported' && (
          <p role="alert" className="auth-note">
            This server asks for a registration step this app cannot do.
          </p>
        )}
        {registering && reg.state === 'error' && (
          <p role="alert" className="auth-note">
            {reg.message}
          </p>
        )}
        {(!registering || canRegister) && (
          <>
            <label htmlFor={`${ids}-user`}>Username</label>
            <input
              id={`${ids}-user`}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              placeholder={registering ? 'alice' : 'alice or @alice:example.org'}
            />
            <label htmlFor={`${ids}-pass`}>Password</label>
            <input
              id={`${ids}-pass`}
              name="password"
              type="password"
              autoComplete={registering ? 'new-password' : 'current-password'}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            {registering && (
              <>
                <label htmlFor={`${ids}-confirm`}>Confirm password</label>
                <input
                  id={`${ids}-confirm`}
                  name="confirm"
                  type="password"
                  autoComplete="new-password"
                  required
                  value={confirm}
                  onChange={(e) => setConfirm(e.target.value)}
                />
              </>
            )}
            {registering && needsToken && (
              <>
                <label htmlFor={`${ids}-token`}>Registration token</label>
                <input
                  id={`${ids}-token`}
                  name="token"
                  autoComplete="off"
                  required
                  aria-describedby={`${ids}-token-help`}
                  value={token}
                  onChange={(e) => setToken(e.target.value)}
                />
                <p id={`${ids}-token-help`} className="auth-help">
                  This server needs a token to sign up. Its admin can give you one.
                </p>
              </>
            )}
            {error && (
              <p id={`${ids}-err`} role="alert" className="auth-error">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {busy
                ? registering
                  ? 'Creating account…'
                  : 'Signing in…'
                : registering
                  ? 'Create account'
                  : 'Sign in'}
            </button>
          </>
        )}
        <p className="auth-switch">
          {registering ? 'Already have an account?' : 'New here?'}{' '}
          <button
            type="button"
            className="auth-link"
            onClick={() => {
              setError(null);
              setMode(registering ? 'signin' : 'register');
            }}
          >
            {registering ? 'Sign in' : 'Create an account'}
          </button>
        </p>
      </form>
    </main>
  );
}
