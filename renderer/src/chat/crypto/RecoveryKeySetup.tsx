import { useEffect, useId, useRef, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import type { GeneratedSecretStorageKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { generateRecoveryKey, setUpKeyBackup } from './key-backup';
import { describeError } from './errors';

type Step =
  | { kind: 'generating' }
  | { kind: 'show'; key: GeneratedSecretStorageKey }
  | { kind: 'working' }
  | { kind: 'password'; retry: boolean }
  | { kind: 'failed'; message: string; key: GeneratedSecretStorageKey | null };

/** Rejects the pending password question when the person cancels it. */
class Cancelled extends Error {}

/**
 * Sets up key backup: makes a recovery key, shows it once (copy, download, "I saved it"),
 * then creates the cross-signing identity, secret storage and the backup, asking for the
 * account password when the server wants it. `reset` replaces an existing recovery key.
 */
export function RecoveryKeySetup(props: {
  client: MatrixClient;
  reset: boolean;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { client, reset, onDone, onCancel } = props;
  const [step, setStep] = useState<Step>({ kind: 'generating' });
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const answer = useRef<{ resolve: (p: string) => void; reject: (e: Error) => void } | null>(null);
  const ids = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    generateRecoveryKey(client)
      .then((key) => live && setStep({ kind: 'show', key }))
      .catch(
        (e: unknown) => live && setStep({ kind: 'failed', message: describeError(e), key: null }),
      );
    return () => {
      live = false;
      answer.current?.reject(new Cancelled());
    };
  }, [client]);

  // Each step's heading takes focus, so a screen reader announces where the person is.
  useEffect(() => headingRef.current?.focus(), [step.kind]);

  const start = async (key: GeneratedSecretStorageKey) => {
    setStep({ kind: 'working' });
    try {
      await setUpKeyBackup(
        client,
        key,
        (retry) =>
          new Promise<string>((resolve, reject) => {
            answer.current = { resolve, reject };
            setPassword('');
            setStep({ kind: 'password', retry });
          }),
        reset,
      );
      onDone();
    } catch (e) {
      if (e instanceof Cancelled) return onCancel();
      setStep({ kind: 'failed', message: describeError(e), key });
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Could not copy: select the key and copy it yourself.');
    }
  };

  const download = (text: string) => {
    const url = URL.createObjectURL(new Blob([text + '\n'], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'hearth-recovery-key.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const heading = (text: string) => (
    <h5 ref={headingRef} tabIndex={-1} className="crypto-step-title">
      {text}
    </h5>
  );

  switch (step.kind) {
    case 'generating':
      return (
        <div className="crypto-panel" aria-busy="true">
          <p role="status">Making your recovery key…</p>
        </div>
      );
    case 'show': {
      const text = step.key.encodedPrivateKey ?? '';
      return (
        <div className="crypto-panel">
          {heading('Save your recovery key')}
          <p>
            This key unlocks your encrypted messages on a new device if you lose this one. Keep it
            somewhere safe, like a password manager. It is shown only once, and nobody (not even
            your server's admin) can recover it for you.
          </p>
          <p className="crypto-key" id={`${ids}-key`} aria-label="Your recovery key">
            {text}
          </p>
          <div className="crypto-actions">
            <button type="button" onClick={() => void copy(text)}>
              Copy
            </button>
            <button type="button" onClick={() => download(text)}>
              Download
            </button>
          </div>
          <p role="status" className="crypto-hint">
            {copied}
          </p>
          <label className="crypto-check">
            <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />I
            have saved my recovery key somewhere safe
          </label>
          <div className="crypto-actions">
            <button
              type="button"
              className="primary"
              disabled={!saved}
              onClick={() => void start(step.key)}
            >
              Continue
            </button>
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </div>
      );
    }
    case 'working':
      return (
        <div className="crypto-panel" aria-busy="true">
          <p role="status">Setting up key backup…</p>
        </div>
      );
    case 'password':
      return (
        <form
          className="crypto-panel"
          onSubmit={(e) => {
            e.preventDefault();
            setStep({ kind: 'working' });
            answer.current?.resolve(password);
          }}
        >
          {heading('Confirm it is you')}
          <p>Enter your account password to publish your new encryption identity.</p>
          <label htmlFor={`${ids}-pw`}>Password</label>
          <input
            id={`${ids}-pw`}
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            value={password}
            aria-invalid={step.retry}
            aria-describedby={step.retry ? `${ids}-pw-err` : undefined}
            onChange={(e) => setPassword(e.target.value)}
          />
          {step.retry && (
            <p id={`${ids}-pw-err`} role="alert" className="crypto-error">
              That password is not right. Try again.
            </p>
          )}
          <div className="crypto-actions">
            <button type="submit" className="primary" disabled={password === ''}>
              Confirm
            </button>
            <button type="button" onClick={() => answer.current?.reject(new Cancelled())}>
              Cancel
            </button>
          </div>
        </form>
      );
    case 'failed':
      return (
        <div className="crypto-panel">
          {heading('Key backup was not set up')}
          <p role="alert" className="crypto-error">
            {step.message}
          </p>
          <div className="crypto-actions">
            {step.key && (
              <button type="button" className="primary" onClick={() => void start(step.key!)}>
                Try again
              </button>
            )}
            <button type="button" onClick={onCancel}>
              Close
            </button>
          </div>
        </div>
      );
  }
}
