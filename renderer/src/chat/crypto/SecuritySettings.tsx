import { useCallback, useEffect, useState } from 'react';
import { ClientEvent, type MatrixClient } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { useChatClient } from '../ClientContext';
import { loadSecurityStatus, type SecurityStatus } from './key-backup';
import { describeError } from './errors';
import { RecoveryKeySetup } from './RecoveryKeySetup';
import { RecoveryKeyRestore } from './RecoveryKeyRestore';
import './crypto.css';

/**
 * The "Security" section of the person's settings: key backup set-up with a recovery key,
 * restore from a recovery key, this device's verification state. Owner: the chat-crypto
 * engineer; the chat-shell engineer's settings screen renders it.
 */
export function SecuritySettings() {
  const { client } = useChatClient();
  return <SecurityPanel client={client} />;
}

/** The same, for a given client (SecuritySettings takes it from the chat context). */
export function SecurityPanel(props: { client: MatrixClient }) {
  const { client } = props;
  const [status, setStatus] = useState<SecurityStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [setup, setSetup] = useState<null | { reset: boolean }>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const reload = useCallback(() => {
    loadSecurityStatus(client)
      .then((s) => {
        setStatus(s);
        setLoadError(null);
      })
      .catch((e: unknown) => setLoadError(describeError(e)));
  }, [client]);

  useEffect(() => {
    reload();
    // Another device may set up or replace the backup, or verify this one.
    const events = [
      CryptoEvent.KeyBackupStatus,
      CryptoEvent.KeysChanged,
      CryptoEvent.UserTrustStatusChanged,
      CryptoEvent.DevicesUpdated,
    ] as const;
    for (const e of events) client.on(e, reload);
    const onAccountData = (ev: { getType(): string }) => {
      if (ev.getType().startsWith('m.secret_storage.') || ev.getType() === 'm.megolm_backup.v1')
        reload();
    };
    client.on(ClientEvent.AccountData, onAccountData);
    return () => {
      for (const e of events) client.off(e, reload);
      client.off(ClientEvent.AccountData, onAccountData);
    };
  }, [client, reload]);

  return (
    <section className="crypto-settings" aria-labelledby="crypto-settings-title">
      <h3 id="crypto-settings-title">Security</h3>
      {loadError && (
        <div role="alert" className="crypto-error">
          <p>Could not read this device's encryption state. {loadError}</p>
          <button type="button" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      {!status && !loadError && (
        <p role="status" aria-busy="true">
          Checking encryption…
        </p>
      )}
      {status && (
        <>
          <DeviceSection status={status} />
          <section className="crypto-card" aria-labelledby="crypto-backup-title">
            <h4 id="crypto-backup-title">Key backup</h4>
            {notice && (
              <p role="status" className="crypto-ok">
                {notice}
              </p>
            )}
            {setup ? (
              <RecoveryKeySetup
                client={client}
                reset={setup.reset}
                onCancel={() => setSetup(null)}
                onDone={() => {
                  setSetup(null);
                  setNotice('Key backup is on. Keep your recovery key safe.');
                  reload();
                }}
              />
            ) : (
              <BackupSection
                client={client}
                status={status}
                onSetUp={(reset) => {
                  setNotice(null);
                  setSetup({ reset });
                }}
                onRestored={(n) => {
                  setNotice(
                    n > 0
                      ? `This device is verified and ${n} message ${n === 1 ? 'key was' : 'keys were'} restored: older messages can be read here.`
                      : 'This device is verified.',
                  );
                  reload();
                }}
              />
            )}
          </section>
        </>
      )}
    </section>
  );
}

function DeviceSection(props: { status: SecurityStatus }) {
  const { status } = props;
  return (
    <section className="crypto-card" aria-labelledby="crypto-device-title">
      <h4 id="crypto-device-title">This device</h4>
      <dl className="crypto-facts">
        <dt>Device ID</dt>
        <dd>
          <code>{status.deviceId}</code>
        </dd>
        <dt>Fingerprint</dt>
        <dd>
          <code className="crypto-fingerprint">{status.fingerprint}</code>
        </dd>
        <dt>Verification</dt>
        <dd data-testid="crypto-device-state">
          {status.deviceVerified ? (
            <span className="crypto-ok">✓ Verified: signed by your encryption identity</span>
          ) : (
            // Alarming only when the account has an identity this device lacks.
            <span className={status.hasRecoveryKey ? 'crypto-warn' : 'crypto-soft'}>
              Not verified.{' '}
              {status.hasRecoveryKey
                ? 'Enter your recovery key below to verify it.'
                : 'Set up key backup to verify it.'}
            </span>
          )}
        </dd>
      </dl>
    </section>
  );
}

function BackupSection(props: {
  client: MatrixClient;
  status: SecurityStatus;
  onSetUp: (reset: boolean) => void;
  onRestored: (keys: number) => void;
}) {
  const { client, status, onSetUp, onRestored } = props;
  const onHere = status.backingUpHere && status.deviceVerified;
  if (onHere) {
    return (
      <>
        <p data-testid="crypto-backup-state">
          <span className="crypto-ok">✓ Key backup is on.</span> Keys to your encrypted messages are
          saved on the server, locked with your recovery key
          {status.backupCount !== null ? ` (${status.backupCount} keys)` : ''}.
        </p>
        <div className="crypto-actions">
          <button type="button" onClick={() => onSetUp(false)}>
            Make a new recovery key
          </button>
        </div>
      </>
    );
  }
  if (status.hasRecoveryKey || status.backupVersion !== null) {
    return (
      <>
        <p data-testid="crypto-backup-state">
          Your account has a key backup, but this device does not use it yet. Enter your recovery
          key to verify this device and read messages sent before you signed in here.
        </p>
        <RecoveryKeyRestore client={client} onRestored={onRestored} />
        <details className="crypto-lost">
          <summary>Lost your recovery key?</summary>
          <p>
            You can make a new one. Messages only your old devices could read stay unreadable here,
            and your other devices will need to be verified again.
          </p>
          <button type="button" onClick={() => onSetUp(true)}>
            Reset and make a new recovery key
          </button>
        </details>
      </>
    );
  }
  return (
    <>
      <p data-testid="crypto-backup-state">
        <span className="crypto-warn">Key backup is off.</span> If you lose this device, you lose
        your encrypted messages. Set up key backup to read them on any device you sign in to.
      </p>
      <div className="crypto-actions">
        <button type="button" className="primary" onClick={() => onSetUp(false)}>
          Set up key backup
        </button>
      </div>
    </>
  );
}
