import { useEffect, useRef, useState, type FormEvent } from 'react';
import { MatrixApiError } from '../shared/api';
import { navigate } from '../shared/hash-route';
import { saveSession } from '../shared/session';
import { DoneView } from './DoneView';
import {
  applySetup,
  problemText,
  validateFields,
  type ApplyResponse,
  type SetupStatus,
} from './setup-api';
import { StepAdmin } from './StepAdmin';
import { StepNetwork } from './StepNetwork';
import { StepRegistration } from './StepRegistration';
import { StepServerName } from './StepServerName';
import { isLocalName } from './network-snippets';
import { useFieldCheck } from './use-field-check';
import { initialForm, serverNameOf, STEP_TITLES, type WizardForm } from './wizard-form';

const LAST = STEP_TITLES.length - 1;

/** Which step an apply error belongs to, so the person lands where to fix it. */
function stepOfError(errcode: string): number | null {
  if (errcode === 'M_INVALID_PARAM') return 0;
  if (['M_INVALID_USERNAME', 'M_USER_IN_USE', 'M_WEAK_PASSWORD'].includes(errcode)) return 1;
  return null;
}

/**
 * The four steps: each checks its fields as the person types and again on Next; Back keeps
 * what was entered. The last one applies, saves the admin's session and shows the result.
 */
export function SetupFlow(p: { status: SetupStatus; token: string | null; onDone: () => void }) {
  const { status, token } = p;
  const [form, setForm] = useState<WizardForm>(() => initialForm(status));
  const [step, setStep] = useState(0);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ApplyResponse | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const domainRef = useRef<HTMLInputElement>(null);
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const password2Ref = useRef<HTMLInputElement>(null);
  const first = useRef(true);

  const update = (patch: Partial<WizardForm>) => setForm((f) => ({ ...f, ...patch }));
  const serverName = serverNameOf(form, status);
  const nameCheck = useFieldCheck(
    token,
    'server_name',
    step === 0 && form.nameKind === 'domain' && form.domain ? { server_name: serverName } : null,
  );
  const usernameCheck = useFieldCheck(
    token,
    'username',
    step === 1 && form.username ? { server_name: serverName, username: form.username } : null,
  );
  const passwordCheck = useFieldCheck(
    token,
    'password',
    step === 1 && form.password ? { username: form.username, password: form.password } : null,
  );

  // A new step: its heading takes the focus, so screen readers announce where they are.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const go = (n: number) => {
    setTried(false);
    setError(null);
    setStep(n);
  };

  /** Checks the current step now (not waiting for the as-you-type answer); false if not OK. */
  async function stepIsValid(): Promise<boolean> {
    if (step === 0) {
      if (!serverName) {
        domainRef.current?.focus();
        return false;
      }
      const r = await validateFields(token, { server_name: serverName });
      if (r.server_name?.valid) return true;
      domainRef.current?.focus();
      return false;
    }
    if (step === 1) {
      const r = await validateFields(token, {
        server_name: serverName,
        ...(form.username ? { username: form.username } : {}),
        ...(form.password ? { password: form.password } : {}),
      });
      if (!form.username || !r.username?.valid) usernameRef.current?.focus();
      else if (!form.password || !r.password?.valid) passwordRef.current?.focus();
      else if (form.password2 !== form.password) password2Ref.current?.focus();
      else return true;
      return false;
    }
    return true;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    setError(null);
    setBusy(true);
    try {
      if (step < LAST) {
        if (await stepIsValid()) go(step + 1);
        return;
      }
      const res = await applySetup(token, {
        server_name: serverName,
        admin: {
          username: form.username,
          password: form.password,
          ...(form.displayname.trim() ? { displayname: form.displayname.trim() } : {}),
        },
        registration: form.registration,
        network: isLocalName(serverName) ? 'manual' : form.network,
      });
      saveSession({
        homeserverUrl: window.location.origin,
        userId: res.user_id,
        accessToken: res.access_token,
        deviceId: res.device_id,
      });
      setResult(res);
    } catch (err) {
      const back = err instanceof MatrixApiError ? stepOfError(err.errcode) : null;
      if (back !== null) go(back);
      setError(
        err instanceof MatrixApiError && err.errcode === 'M_USER_IN_USE'
          ? 'That user name was taken meanwhile. Choose another one.'
          : problemText(err),
      );
    } finally {
      setBusy(false);
    }
  }

  if (result) {
    return (
      <DoneView
        result={result}
        onOpen={p.onDone}
        onAdmin={() => {
          p.onDone();
          navigate(['admin']);
        }}
      />
    );
  }

  return (
    <form className="wizard-form" onSubmit={submit} noValidate aria-labelledby="wizard-step-title">
      <p className="wizard-progress">
        Step {step + 1} of {STEP_TITLES.length}
      </p>
      <div className="wizard-bar" aria-hidden="true">
        <span style={{ width: `${((step + 1) / STEP_TITLES.length) * 100}%` }} />
      </div>
      <ol className="wizard-steps" aria-label="Setup steps">
        {STEP_TITLES.map((t, i) => (
          <li
            key={t}
            aria-current={i === step ? 'step' : undefined}
            className={i < step ? 'wizard-step-done' : i === step ? 'wizard-step-now' : ''}
          >
            {t}
          </li>
        ))}
      </ol>
      <h2 id="wizard-step-title" ref={heading} tabIndex={-1}>
        {STEP_TITLES[step]}
      </h2>
      {error && (
        <p role="alert" className="wizard-alert">
          {error}
        </p>
      )}
      {step === 0 && (
        <StepServerName
          form={form}
          update={update}
          status={status}
          check={nameCheck}
          domainRef={domainRef}
        />
      )}
      {step === 1 && (
        <StepAdmin
          form={form}
          update={update}
          serverName={serverName}
          usernameCheck={usernameCheck}
          passwordCheck={passwordCheck}
          usernameRef={usernameRef}
          passwordRef={passwordRef}
          password2Ref={password2Ref}
          tried={tried}
        />
      )}
      {step === 2 && <StepRegistration form={form} update={update} />}
      {step === 3 && (
        <StepNetwork form={form} update={update} status={status} serverName={serverName} />
      )}
      <div className="wizard-actions">
        {step > 0 && (
          <button type="button" onClick={() => go(step - 1)} disabled={busy}>
            Back
          </button>
        )}
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {step < LAST ? 'Next' : busy ? 'Creating your server…' : 'Create my server'}
        </button>
      </div>
    </form>
  );
}
