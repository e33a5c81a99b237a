import type { WizardForm } from './wizard-form';
import { REGISTRATION_CHOICES } from './wizard-form';

/** Step 3: who may create an account: nobody, people with a token, anyone. */
export function StepRegistration(p: {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
}) {
  return (
    <>
      <p>
        Besides you, who may create an account on this server? This can be changed later in the
        server&rsquo;s settings file (homeserver.yaml).
      </p>
      <fieldset className="wizard-choices">
        <legend>Who can create an account</legend>
        {REGISTRATION_CHOICES.map((c) => (
          <label key={c.mode} className="wizard-choice">
            <input
              type="radio"
              name="registration"
              value={c.mode}
              checked={p.form.registration === c.mode}
              onChange={() => p.update({ registration: c.mode })}
            />
            <span>
              <strong>{c.title}</strong>
              <span className="wizard-choice-text">{c.text}</span>
            </span>
          </label>
        ))}
      </fieldset>
    </>
  );
}
