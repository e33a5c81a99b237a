import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { IMyDevice, MatrixError } from 'matrix-js-sdk';
import { useChatClient } from './ClientContext';
import { errorMessage } from './Dialog';

function seen(d: IMyDevice): string {
  const parts: string[] = [];
  if (d.last_seen_ts) parts.push(`Last seen ${new Date(d.last_seen_ts).toLocaleString()}`);
  if (d.last_seen_ip) parts.push(d.last_seen_ip);
  return parts.join(' · ');
}

/**
 * The person's devices: rename any, sign out others. Deleting devices needs the password
 * again (user-interactive auth, m.login.password), asked for in place.
 */
export function DevicesSection() {
  const { client, session } = useChatClient();
  const [devices, setDevices] = useState<IMyDevice[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string[] | null>(null);

  const load = useCallback(async () => {
    try {
      const { devices } = await client.getDevices();
      devices.sort((a, b) => (b.last_seen_ts ?? 0) - (a.last_seen_ts ?? 0));
      setDevices(devices);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [client]);
  useEffect(() => void load(), [load]);

  const others = (devices ?? []).filter((d) => d.device_id !== session.deviceId);
  const current = (devices ?? []).find((d) => d.device_id === session.deviceId);
  return (
    <section className="chat-settings-section" aria-labelledby="chat-devices">
      <h3 id="chat-devices">Devices</h3>
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
      {!devices && !error && <p role="status">Loading devices…</p>}
      {current && (
        <>
          <h4>This device</h4>
          <ul className="chat-devices">
            <DeviceRow device={current} current onRenamed={load} />
          </ul>
        </>
      )}
      {devices && (
        <>
          <h4>Other devices</h4>
          {others.length === 0 ? (
            <p className="chat-help">You are not signed in anywhere else.</p>
          ) : (
            <ul className="chat-devices">
              {others.map((d) => (
                <DeviceRow
                  key={d.device_id}
                  device={d}
                  onRenamed={load}
                  onSignOut={() => setRemoving([d.device_id])}
                />
              ))}
            </ul>
          )}
          {others.length > 1 && (
            <button
              type="button"
              className="chat-danger"
              onClick={() => setRemoving(others.map((d) => d.device_id))}
            >
              Sign out all other devices
            </button>
          )}
        </>
      )}
      {removing && (
        <ConfirmPassword
          count={removing.length}
          onCancel={() => setRemoving(null)}
          onConfirm={async (password) => {
            await deleteDevices(client, session.userId, removing, password);
            setRemoving(null);
            await load();
          }}
        />
      )}
    </section>
  );
}

async function deleteDevices(
  client: ReturnType<typeof useChatClient>['client'],
  userId: string,
  ids: string[],
  password: string,
): Promise<void> {
  try {
    await client.deleteMultipleDevices(ids);
  } catch (err) {
    const e = err as MatrixError;
    const uiaSession = (e.data as { session?: string } | undefined)?.session;
    if (e.httpStatus !== 401 || !uiaSession) throw err;
    await client.deleteMultipleDevices(ids, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password,
      session: uiaSession,
    });
  }
}

function DeviceRow(props: {
  device: IMyDevice;
  current?: boolean;
  onRenamed: () => void;
  onSignOut?: () => void;
}) {
  const { client } = useChatClient();
  const d = props.device;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(d.display_name ?? '');
  const [error, setError] = useState<string | null>(null);
  const label = d.display_name || d.device_id;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.setDeviceDetails(d.device_id, { display_name: name.trim() });
      setEditing(false);
      props.onRenamed();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <li className="chat-device">
      {editing ? (
        <form className="chat-inline-form" onSubmit={save}>
          <label htmlFor={`chat-dev-${d.device_id}`} className="visually-hidden">
            New name for {label}
          </label>
          <input
            id={`chat-dev-${d.device_id}`}
            autoFocus
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="chat-device-line">
          <span className="chat-member-names">
            <strong>{label}</strong>
            <small>
              {d.device_id}
              {seen(d) && ` · ${seen(d)}`}
            </small>
          </span>
          <button type="button" onClick={() => setEditing(true)} aria-label={`Rename ${label}`}>
            Rename
          </button>
          {props.onSignOut && (
            <button
              type="button"
              className="chat-danger"
              onClick={props.onSignOut}
              aria-label={`Sign out ${label}`}
            >
              Sign out
            </button>
          )}
        </div>
      )}
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
    </li>
  );
}

function ConfirmPassword(props: {
  count: number;
  onCancel: () => void;
  onConfirm: (password: string) => Promise<void>;
}) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(password);
    } catch (err) {
      setError(errorMessage(err, { M_FORBIDDEN: 'Wrong password.' }));
      setBusy(false);
    }
  };
  return (
    <form className="chat-form chat-confirm" onSubmit={submit} aria-label="Confirm signing out">
      <p>
        Enter your password to sign out{' '}
        {props.count === 1 ? 'this device' : `${props.count} devices`}.
      </p>
      <label htmlFor="chat-confirm-password">Password</label>
      <input
        id="chat-confirm-password"
        type="password"
        autoComplete="current-password"
        autoFocus
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {error && (
        <p role="alert" className="chat-error">
          {error}
        </p>
      )}
      <div className="chat-form-buttons">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="chat-danger" disabled={busy}>
          {busy ? 'Signing out…' : 'Sign out'}
        </button>
      </div>
    </form>
  );
}
