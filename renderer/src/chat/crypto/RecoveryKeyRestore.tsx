import { useId, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { restoreWithRecoveryKey, type RestoreProgress } from './key-backup';
import { describeError } from './errors';

function progressText(p: RestoreProgress): string {
  switch (p.stage) {
    case 'checking':
      return 'Checking your recovery key…';
    case 'verifying':
      return 'Verifying this device…';
    case 'fetching':
      return 'Downloading your key backup…';
    case 'importing':
      return p.total
        ? `Restoring message keys: ${p.done ?? 0} of ${p.total}…`
        : 'Restoring message keys…';
  }
}

/**
 * "Enter your recovery key": verifies this device and restores the key backup, so messages
 * sent before this device signed in decrypt.
 */
export function RecoveryKeyRestore(props: {
  client: MatrixClient;
  onRestored: (keys: number) => void;
}) {
  const { client, onRestored } = props;
  const [typed, setTyped] = useState('');
  const [progress, setProgress] = useState<RestoreProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const submit = async () => {
    setError(null);
    try {
      const n = await restoreWithRecoveryKey(client, typed, setProgress);
      setTyped('');
      onRestored(n);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setProgress(null);
    }
  };

  return (
    <form
      className="crypto-restore"
      aria-busy={progress !== null}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label htmlFor={`${id}-key`}>Recovery key</label>
      <input
        id={`${id}-key`}
        className="crypto-key-input"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        autoComplete="off"
        spellCheck={false}
        placeholder="EsT… …"
        disabled={progress !== null}
        aria-invalid={error !== null}
        aria-describedby={`${id}-help${error ? ` ${id}-err` : ''}`}
      />
      <p id={`${id}-help`} className="crypto-hint">
        The key you saved when you set up key backup (48 letters and digits in groups of four).
      </p>
      {error && (
        <p id={`${id}-err`} role="alert" className="crypto-error">
          {error}
        </p>
      )}
      <p role="status" className="crypto-hint">
        {progress ? progressText(progress) : ''}
      </p>
      <div className="crypto-actions">
        <button
          type="submit"
          className="primary"
          disabled={progress !== null || typed.trim() === ''}
        >
          {progress ? 'Restoring…' : 'Verify and restore'}
        </button>
      </div>
    </form>
  );
}
