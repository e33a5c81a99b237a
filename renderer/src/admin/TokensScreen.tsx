import { useState, type FormEvent } from 'react';
import { tokens, type RegistrationToken } from './client';
import { ConfirmDialog } from './ConfirmDialog';
import { useAdmin } from './context';
import { formatDate, formatDateTime } from './format';
import { ListTable } from './list-screen';
import { Badge, CopyButton, ErrorNote, Field } from './parts';
import { dateInputValue, tokenRequest, tokenStatus } from './validate';
import { useLoad } from './use-load';

/** Registration tokens: create (uses, expiry), copy to share, revoke. */
export function TokensScreen() {
  const { call } = useAdmin();
  const list = useLoad(() => tokens.list(call), [call]);
  const [made, setMade] = useState<RegistrationToken | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const now = Date.now();
  const rows = list.data?.registration_tokens ?? [];

  return (
    <section aria-labelledby="adm-tokens-h">
      <div className="adm-head">
        <h1 id="adm-tokens-h">Registration tokens</h1>
      </div>
      <p className="adm-soft">
        When registration needs a token (<code>registration_requires_token</code>), people can
        create an account only with one of these. Share a token with the people you invite.
      </p>
      <NewTokenForm
        onCreated={(t) => {
          setMade(t);
          list.reload();
        }}
      />
      {made && (
        <div className="adm-note adm-note-ok adm-made" role="status">
          <span>
            New token <code className="adm-token">{made.token}</code>
          </span>
          <CopyButton text={made.token} label="Copy token" />
        </div>
      )}
      <h2>Tokens</h2>
      <ListTable
        list={list}
        what="tokens"
        caption="Registration tokens"
        columns={['Token', 'Used', 'Expires', 'Status', { hidden: 'Actions' }]}
        rows={rows}
        empty="No tokens yet."
        row={(t) => {
          const status = tokenStatus(t, now);
          return (
            <tr key={t.token}>
              <td data-label="Token">
                <code className="adm-token">{t.token}</code>{' '}
                <CopyButton text={t.token} label="Copy token" />
              </td>
              <td data-label="Used">
                {t.completed} of {t.uses_allowed ?? 'unlimited'}
                {t.pending > 0 && <span className="adm-soft"> ({t.pending} in progress)</span>}
              </td>
              <td data-label="Expires">
                {t.expiry_time === null ? 'Never' : formatDateTime(t.expiry_time)}
              </td>
              <td data-label="Status">
                <Badge tone={status === 'valid' ? 'ok' : 'bad'}>
                  {status === 'valid' ? 'Valid' : status === 'expired' ? 'Expired' : 'Used up'}
                </Badge>
              </td>
              <td data-label="Actions">
                <button
                  type="button"
                  className="adm-danger-quiet"
                  onClick={() => setRevoking(t.token)}
                  aria-label={`Revoke token ${t.token}`}
                >
                  Revoke
                </button>
              </td>
            </tr>
          );
        }}
      />
      {revoking && (
        <ConfirmDialog
          title="Revoke this token?"
          confirmLabel="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await tokens.remove(call, revoking);
            if (made?.token === revoking) setMade(null);
            list.reload();
          }}
        >
          <p>
            Nobody will be able to register with <code>{revoking}</code> any more. Accounts already
            made with it stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function NewTokenForm(props: { onCreated: (t: RegistrationToken) => void }) {
  const { call } = useAdmin();
  const [token, setToken] = useState('');
  const [uses, setUses] = useState('1');
  const [expiry, setExpiry] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const now = Date.now();
  const check = tokenRequest({ token, uses, expiry }, now);
  const fieldError = (f: string) => (!check.ok && check.field === f ? check.error : null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!check.ok) return;
    setBusy(true);
    setError(null);
    try {
      const t = await tokens.create(call, check.body);
      setToken('');
      props.onCreated(t);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="adm-panel adm-token-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="adm-newtoken-h"
    >
      <h2 id="adm-newtoken-h">New token</h2>
      <div className="adm-fields">
        <Field label="Uses allowed" hint="Empty for unlimited." error={fieldError('uses')}>
          {(f) => (
            <input
              id={f.id}
              inputMode="numeric"
              aria-describedby={f.describedBy}
              aria-invalid={f.invalid}
              value={uses}
              onChange={(e) => setUses(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Expires after"
          hint={
            expiry
              ? `Works until the end of ${formatDate(Date.parse(expiry + 'T12:00'))}.`
              : 'Empty for never.'
          }
          error={fieldError('expiry')}
        >
          {(f) => (
            <input
              id={f.id}
              type="date"
              min={dateInputValue(now)}
              aria-describedby={f.describedBy}
              aria-invalid={f.invalid}
              value={expiry}
              onChange={(e) => setExpiry(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Token text (optional)"
          hint="Empty for a random one."
          error={fieldError('token')}
        >
          {(f) => (
            <input
              id={f.id}
              autoComplete="off"
              spellCheck={false}
              aria-describedby={f.describedBy}
              aria-invalid={f.invalid}
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
      </div>
      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={busy || !check.ok}>
        {busy ? 'Creating…' : 'Create token'}
      </button>
    </form>
  );
}
