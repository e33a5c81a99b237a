import { useState, type Ref } from 'react';
import { TextField } from './fields';
import { passwordStrength } from './password-strength';
import type { CheckState } from './use-field-check';
import type { WizardForm } from './wizard-form';

interface Props {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  serverName: string;
  usernameCheck: CheckState;
  passwordCheck: CheckState;
  usernameRef: Ref<HTMLInputElement>;
  passwordRef: Ref<HTMLInputElement>;
  password2Ref: Ref<HTMLInputElement>;
  /** The person tried to go on: show what is still missing. */
  tried: boolean;
}

/** Step 2: the admin's name, display name and password (twice, with a strength hint). */
export function StepAdmin(p: Props) {
  const { form, update } = p;
  const [show, setShow] = useState(false);
  const strength = passwordStrength(form.password, form.username);
  const mismatch =
    form.password2 !== '' && form.password2 !== form.password
      ? 'The passwords are not the same.'
      : p.tried && form.password2 === '' && form.password !== ''
        ? 'Type the password again.'
        : null;
  return (
    <>
      <p>
        This account runs the server: it can make accounts for others, and it is also your own
        account for chatting.
      </p>
      <TextField
        label="User name"
        value={form.username}
        onChange={(v) => update({ username: v.trim() })}
        inputRef={p.usernameRef}
        autoComplete="username"
        required
        check={p.usernameCheck}
        error={p.tried && !form.username ? 'Choose a user name.' : null}
        okText={`Available: you will be @${form.username}:${p.serverName}`}
        hint="Lower-case letters, digits and . _ = - / + only."
      />
      <TextField
        label="Display name (optional)"
        value={form.displayname}
        onChange={(v) => update({ displayname: v })}
        autoComplete="name"
        hint="What others see in chats. You can change it any time."
      />
      <TextField
        label="Password"
        type={show ? 'text' : 'password'}
        value={form.password}
        onChange={(v) => update({ password: v })}
        inputRef={p.passwordRef}
        autoComplete="new-password"
        required
        check={p.passwordCheck}
        error={p.tried && !form.password ? 'Choose a password.' : null}
        hint={
          form.password ? (
            <span className="wizard-strength" data-score={strength.score}>
              <span className="wizard-meter" aria-hidden="true">
                <span style={{ width: `${(strength.score / 4) * 100}%` }} />
              </span>
              <span>
                Strength: <strong>{strength.label}</strong>. {strength.hint}
              </span>
            </span>
          ) : (
            'At least 8 characters. A few unrelated words make a strong one.'
          )
        }
      />
      <TextField
        label="Password again"
        type={show ? 'text' : 'password'}
        value={form.password2}
        onChange={(v) => update({ password2: v })}
        inputRef={p.password2Ref}
        autoComplete="new-password"
        required
        error={mismatch}
        {...(form.password2 !== '' && form.password2 === form.password
          ? { check: { state: 'ok' } as const, okText: 'The passwords match.' }
          : {})}
      />
      <label className="wizard-inline-check">
        <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} />
        Show passwords
      </label>
    </>
  );
}
