import type { Ref } from 'react';
import { TextField } from './fields';
import type { SetupStatus } from './setup-api';
import type { CheckState } from './use-field-check';
import { serverNameOf, type WizardForm } from './wizard-form';

interface Props {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  status: SetupStatus;
  check: CheckState;
  domainRef: Ref<HTMLInputElement>;
}

/** Step 1: localhost for private use, or a domain the person owns. */
export function StepServerName({ form, update, status, check, domainRef }: Props) {
  const name = serverNameOf(form, status);
  // A name still wrong or empty is not shown as anyone's address.
  const usable = name !== '' && check.state !== 'error';
  const example = `@${form.username || 'you'}:${usable ? name : 'example.org'}`;
  if (!status.server_name_changeable) {
    return (
      <>
        <p>
          This server already has accounts or rooms under the name <strong>{name}</strong>, so its
          name stays as it is.
        </p>
        <p className="wizard-example">
          Addresses on it look like <strong>{example}</strong>.
        </p>
      </>
    );
  }
  return (
    <>
      <p>
        Every account on your server gets an address made of a name and the server&rsquo;s name,
        like <strong>{example}</strong>. Pick the server&rsquo;s name carefully:{' '}
        <strong>it cannot be changed later.</strong>
      </p>
      <fieldset className="wizard-choices">
        <legend>What is this server for?</legend>
        <label className="wizard-choice">
          <input
            type="radio"
            name="name-kind"
            checked={form.nameKind === 'local'}
            onChange={() => update({ nameKind: 'local' })}
          />
          <span>
            <strong>Just this computer (localhost)</strong>
            <span className="wizard-choice-text">
              For trying Hearth or chatting on this machine. Other Matrix servers cannot reach it,
              so it cannot talk to people elsewhere.
            </span>
          </span>
        </label>
        <label className="wizard-choice">
          <input
            type="radio"
            name="name-kind"
            checked={form.nameKind === 'domain'}
            onChange={() => update({ nameKind: 'domain' })}
          />
          <span>
            <strong>A domain I own</strong>
            <span className="wizard-choice-text">
              Such as example.org. You must control its DNS, so that other Matrix servers can find
              this one and people anywhere can chat with you.
            </span>
          </span>
        </label>
      </fieldset>
      {form.nameKind === 'domain' && (
        <TextField
          label="Domain name"
          value={form.domain}
          onChange={(v) => update({ domain: v.trim().toLowerCase() })}
          inputRef={domainRef}
          placeholder="example.org"
          inputMode="url"
          autoComplete="off"
          required
          check={check}
          okText="A valid server name."
          hint="Just the name, without https://. Add a port only if you must (example.org:8448)."
        />
      )}
      {usable && (
        <p className="wizard-example">
          Your address will be <strong>{example}</strong>
        </p>
      )}
    </>
  );
}
