import { useState, type FormEvent } from 'react';
import { hashFor } from '../shared/hash-route';
import { users, type UserDetails } from './client';
import { ConfirmDialog } from './ConfirmDialog';
import { useAdmin } from './context';
import { formatDateTime } from './format';
import { Badge, CopyButton, ErrorNote, Loading, NewPasswordFields, OkNote } from './parts';
import { checkNewPassword } from './validate';
import { useLoad } from './use-load';

/** One user: who they are, and the admin's actions on the account. */
export function UserDetail(props: { userId: string }) {
  const { call, me } = useAdmin();
  const user = useLoad(() => users.get(call, props.userId), [call, props.userId]);
  const [notice, setNotice] = useState<string | null>(null);
  const [adminError, setAdminError] = useState<unknown>(null);
  const [adminBusy, setAdminBusy] = useState(false);
  const [deactivating, setDeactivating] = useState(false);
  const [erase, setErase] = useState(false);
  const u = user.data;

  const toggleAdmin = async (to: boolean) => {
    setAdminBusy(true);
    setAdminError(null);
    setNotice(null);
    try {
      await users.setAdmin(call, props.userId, to);
      setNotice(
        to
          ? `${props.userId} is now a server admin.`
          : `${props.userId} is no longer a server admin.`,
      );
      user.reload();
    } catch (e) {
      setAdminError(e);
    } finally {
      setAdminBusy(false);
    }
  };

  return (
    <section aria-labelledby="adm-user-h">
      <p className="adm-crumbs">
        <a href={hashFor(['admin', 'users'])}>Users</a> ›
      </p>
      <div className="adm-head">
        <h1 id="adm-user-h">{u?.displayname || props.userId}</h1>
      </div>
      <ErrorNote error={user.error} onRetry={user.reload} />
      {user.loading && !u && <Loading what="the user" />}
      {notice && <OkNote>{notice}</OkNote>}
      {u && (
        <>
          <UserFacts user={u} userId={props.userId} />
          <div className="adm-cards">
            <ResetPassword userId={props.userId} disabled={!!u.deactivated} onDone={setNotice} />
            <div className="adm-panel">
              <h2>Server admin</h2>
              <p className="adm-soft">
                Admins can manage users, rooms and the server here.{' '}
                {props.userId === me && 'You cannot remove your own admin rights.'}
              </p>
              <ErrorNote error={adminError} />
              <button
                type="button"
                disabled={adminBusy || !!u.deactivated || (!!u.admin && props.userId === me)}
                onClick={() => void toggleAdmin(!u.admin)}
              >
                {u.admin ? 'Remove admin rights' : 'Make admin'}
              </button>
            </div>
            <div className="adm-panel adm-panel-danger">
              <h2>Deactivate account</h2>
              <p className="adm-soft">
                The person is signed out everywhere, leaves their rooms and can no longer sign in.
                This cannot be undone.
              </p>
              <button
                type="button"
                className="adm-danger"
                disabled={!!u.deactivated || props.userId === me}
                onClick={() => setDeactivating(true)}
              >
                {u.deactivated ? 'Already deactivated' : 'Deactivate…'}
              </button>
            </div>
          </div>
          <p>
            <a href={hashFor(['admin', 'media', props.userId])}>Media uploaded by this user</a>
          </p>
        </>
      )}
      {deactivating && (
        <ConfirmDialog
          title={`Deactivate ${props.userId}?`}
          confirmLabel="Deactivate"
          danger
          onClose={() => setDeactivating(false)}
          onConfirm={async () => {
            await users.deactivate(call, props.userId, erase);
            setNotice(`${props.userId} was deactivated.`);
            user.reload();
          }}
        >
          <p>
            They will be signed out of every device, removed from their rooms, and will not be able
            to sign in again. The user ID stays taken.
          </p>
          <label className="adm-check">
            <input type="checkbox" checked={erase} onChange={(e) => setErase(e.target.checked)} />
            Also erase their profile and hide their messages from people who join later (GDPR
            erasure)
          </label>
        </ConfirmDialog>
      )}
    </section>
  );
}

function UserFacts(props: { user: UserDetails; userId: string }) {
  const u = props.user;
  return (
    <dl className="adm-facts">
      <div>
        <dt>User ID</dt>
        <dd>
          <code>{props.userId}</code> <CopyButton text={props.userId} label="Copy user ID" />
        </dd>
      </div>
      <div>
        <dt>Display name</dt>
        <dd>{u.displayname || '—'}</dd>
      </div>
      <div>
        <dt>Role</dt>
        <dd>{u.admin ? <Badge tone="warn">Server admin</Badge> : u.user_type || 'User'}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          {u.deactivated ? <Badge tone="bad">Deactivated</Badge> : <Badge tone="ok">Active</Badge>}
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDateTime(u.creation_ts)}</dd>
      </div>
      {u.last_seen_ts ? (
        <div>
          <dt>Last seen</dt>
          <dd>{formatDateTime(u.last_seen_ts)}</dd>
        </div>
      ) : null}
    </dl>
  );
}

function ResetPassword(props: {
  userId: string;
  disabled: boolean;
  onDone: (msg: string) => void;
}) {
  const { call } = useAdmin();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [logout, setLogout] = useState(true);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const check = touched || password !== '' ? checkNewPassword(password, confirm) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (checkNewPassword(password, confirm)) return;
    setBusy(true);
    setError(null);
    try {
      await users.resetPassword(call, props.userId, password, logout);
      setPassword('');
      setConfirm('');
      setTouched(false);
      props.onDone(
        logout
          ? `The password of ${props.userId} was changed and their devices were signed out.`
          : `The password of ${props.userId} was changed.`,
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="adm-panel" onSubmit={submit} noValidate aria-labelledby="adm-reset-h">
      <h2 id="adm-reset-h">Reset password</h2>
      <NewPasswordFields
        label="New password"
        password={password}
        confirm={confirm}
        onPassword={setPassword}
        onConfirm={setConfirm}
        error={check}
        disabled={props.disabled}
      />
      <label className="adm-check">
        <input type="checkbox" checked={logout} onChange={(e) => setLogout(e.target.checked)} />
        Sign them out of all devices
      </label>
      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={busy || props.disabled}>
        {busy ? 'Saving…' : 'Set new password'}
      </button>
    </form>
  );
}
