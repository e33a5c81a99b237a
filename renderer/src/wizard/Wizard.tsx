import { useEffect, useState } from 'react';
import { useHashRoute } from '../shared/hash-route';
import { fetchSetupStatus, problemText, type SetupStatus } from './setup-api';
import { SetupFlow } from './SetupFlow';
import { TokenGate } from './TokenGate';
import './wizard.css';

/**
 * The first-run setup wizard (issue 7; docs/setup-wizard.md). Shown while the server has no
 * admin. From another machine it first asks for the one-time setup token (or takes it from
 * the address: #/setup/TOKEN, as the server's log prints it), then runs the four steps and
 * ends with the admin signed in.
 */
export default function Wizard(props: { onDone: () => void }) {
  const route = useHashRoute();
  const hashToken = route[0] === 'setup' && route[1] ? route[1] : null;
  const [token, setToken] = useState<string | null>(hashToken);
  const [status, setStatus] = useState<SetupStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  // The token is kept in memory only: off the address bar, out of the history.
  useEffect(() => {
    if (hashToken) window.history.replaceState(null, '', '#/setup');
  }, [hashToken]);

  useEffect(() => {
    let live = true;
    setLoadError(null);
    setStatus(null);
    fetchSetupStatus(token).then(
      (s) => live && setStatus(s),
      (e: unknown) => live && setLoadError(problemText(e)),
    );
    return () => {
      live = false;
    };
  }, [token, attempt]);

  let body;
  if (loadError) {
    body = (
      <div className="wizard-form">
        <p role="alert" className="wizard-alert">
          The server did not answer: {loadError}
        </p>
        <div className="wizard-actions">
          <button type="button" className="primary" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      </div>
    );
  } else if (!status) {
    body = (
      <p role="status" aria-busy="true" className="wizard-checking">
        Loading…
      </p>
    );
  } else if (!status.needs_setup) {
    body = (
      <div className="wizard-form">
        <h2>This server is already set up</h2>
        <p>
          Hearth on <strong>{status.server_name}</strong> has its admin account. Sign in to chat or
          to manage it.
        </p>
        <div className="wizard-actions">
          <button type="button" className="primary" onClick={props.onDone}>
            Go to sign in
          </button>
        </div>
      </div>
    );
  } else if (!status.may_setup) {
    body = <TokenGate wrong={token !== null} onToken={setToken} />;
  } else {
    body = <SetupFlow status={status} token={token} onDone={props.onDone} />;
  }

  return (
    <main className="wizard-page">
      <div className="wizard-card">
        <p className="wizard-brand" aria-hidden="true">
          Hearth
        </p>
        <h1>Set up your Hearth server</h1>
        {body}
      </div>
    </main>
  );
}
