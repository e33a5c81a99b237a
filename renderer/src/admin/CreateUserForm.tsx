import { useState, type FormEvent } from 'react';
import { users } from './client';
import { useAdmin } from './context';
import { isNotFound } from './errors';
import { ErrorNote, Field, NewPasswordFields } from './parts';
import { checkNewPassword, checkUsername, userIdFor } from './validate';

/**
 * Creates a local account. Synapse's PUT /v2/users/{id} changes an existing user as well,
 * so the form first checks that the name is free: creating never rewrites someone's password.
 */
export function CreateUserForm(props: {
  onCreated: (userId: string) => void;
  onCancel: () => void;
}) {
  const { call, serverName } = useAdmin();
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [admin, setAdmin] = useState(false);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [nameTaken, setNameTaken] = useState<string | null>(null);

  const nameError =
    (name !== '' || touched ? checkUsername(name) : null) ??
    (nameTaken === name ? 'That user name is taken.' : null);
  const pwError = password !== '' || touched ? checkNewPassword(password, confirm) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (checkUsername(name) || checkNewPassword(password, confirm)) return;
    const userId = userIdFor(name, serverName);
    setBusy(true);
    setError(null);
    try {
      try {
        await users.get(call, userId);
        setNameTaken(name);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await users.create(call, userId, {
        password,
        admin,
        ...(displayName.trim() ? { displayname: displayName.trim() } : {}),
      });
      props.onCreated(userId);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="adm-panel" onSubmit={submit} noValidate aria-labelledby="adm-newuser-h">
      <h2 id="adm-newuser-h">New user</h2>
      <Field
        label="User name"
        hint={`Their ID will be ${userIdFor(name || 'name', serverName)}. It cannot be changed later.`}
        error={nameError}
      >
        {(f) => (
          <input
            id={f.id}
            aria-describedby={f.describedBy}
            aria-invalid={f.invalid}
            value={name}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            onChange={(e) => setName(e.target.value)}
            autoFocus
          />
        )}
      </Field>
      <Field label="Display name (optional)">
        {(f) => (
          <input id={f.id} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        )}
      </Field>
      <NewPasswordFields
        label="Password"
        password={password}
        confirm={confirm}
        onPassword={setPassword}
        onConfirm={setConfirm}
        error={pwError}
      />
      <label className="adm-check">
        <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
        Server admin (can use these admin pages)
      </label>
      <ErrorNote error={error} />
      <div className="adm-row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create user'}
        </button>
        <button type="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
