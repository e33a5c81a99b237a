import { useState, type FormEvent } from 'react';
import { TextField } from './fields';

/**
 * Shown to a browser on another machine: setup needs the one-time token the server printed
 * in its log (and wrote to its data folder), so nobody else on the network can take over.
 */
export function TokenGate(p: { wrong: boolean; onToken: (t: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) p.onToken(token.trim());
  };
  return (
    <form onSubmit={submit} className="wizard-form" aria-labelledby="wizard-token-title">
      <h2 id="wizard-token-title">Prove this is your server</h2>
      <p>
        You are setting up Hearth from another computer. To be sure it is you, enter the setup
        token: the server printed it in its log when it started, and it is also in the file{' '}
        <code>setup-token</code> in the server&rsquo;s data folder.
      </p>
      <TextField
        label="Setup token"
        value={token}
        onChange={setToken}
        autoComplete="off"
        required
        error={p.wrong ? 'That token is not right. Copy it again from the log.' : null}
      />
      <div className="wizard-actions">
        <button type="submit" className="primary" disabled={!token.trim()}>
          Continue
        </button>
      </div>
    </form>
  );
}
