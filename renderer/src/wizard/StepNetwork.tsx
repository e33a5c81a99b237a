import { useState } from 'react';
import { CopyBlock, TextField } from './fields';
import { isLocalName, networkSnippets } from './network-snippets';
import type { SetupStatus } from './setup-api';
import { NETWORK_CHOICES, REGISTRATION_CHOICES, type WizardForm } from './wizard-form';

interface Props {
  form: WizardForm;
  update: (patch: Partial<WizardForm>) => void;
  status: SetupStatus;
  serverName: string;
}

/** The port Hearth listens on, for the proxy snippets: the config's, else this page's. */
function hearthPort(status: SetupStatus): number {
  if (status.client_port) return status.client_port;
  const p = Number(window.location.port);
  return p > 0 ? p : 8008;
}

/**
 * Step 4: how other people and servers will reach this one. Localhost: federation is off.
 * A domain, headless: a reverse proxy for 443 and 8448, or .well-known delegation. A
 * domain, desktop: the app checks reachability itself once the server is set up.
 */
export function StepNetwork({ form, update, status, serverName }: Props) {
  const [host, setHost] = useState(serverName.replace(/:\d+$/, ''));
  const choice = REGISTRATION_CHOICES.find((c) => c.mode === form.registration);
  const summary = (
    <dl className="wizard-summary" aria-label="Your choices">
      <dt>Server name</dt>
      <dd>{serverName}</dd>
      <dt>Admin account</dt>
      <dd>
        @{form.username}:{serverName}
      </dd>
      <dt>Who can create accounts</dt>
      <dd>{choice?.title}</dd>
    </dl>
  );
  if (isLocalName(serverName)) {
    return (
      <>
        <div className="wizard-note" role="note">
          <strong>Federation is off.</strong> With the name {serverName}, your server is only for
          people who can open it on this computer; it cannot exchange messages with other Matrix
          servers. Nothing needs setting up on your network.
        </div>
        {summary}
      </>
    );
  }
  const host0 = serverName.replace(/:\d+$/, '');
  const choice2 = (
    <fieldset className="wizard-choices">
      <legend>How other servers reach {serverName}</legend>
      {NETWORK_CHOICES.map((c) => (
        <label key={c.mode} className="wizard-choice">
          <input
            type="radio"
            name="network"
            value={c.mode}
            checked={form.network === c.mode}
            onChange={() => update({ network: c.mode })}
          />
          <span>
            <strong>{c.title}</strong>
            <span className="wizard-choice-text">{c.text}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
  if (form.network === 'automatic') {
    return (
      <>
        {choice2}
        <p>Once the server is created, Hearth:</p>
        <ul>
          <li>
            gets a certificate for <strong>{host0}</strong> from Let&rsquo;s Encrypt, and renews it
            by itself;
          </li>
          <li>
            asks your router to forward port 8448 (Matrix) to this computer, and port 80 while a
            certificate is being issued;
          </li>
          <li>serves the client and federation APIs over HTTPS on port 8448.</li>
        </ul>
        <p>
          One thing only you can do: at your domain&rsquo;s DNS provider, point{' '}
          <strong>{host0}</strong> (an A record) at your home&rsquo;s internet address. Hearth then
          checks everything from outside in and says what is missing.
        </p>
        {summary}
      </>
    );
  }
  if (status.mode === 'desktop') {
    return (
      <>
        {choice2}
        <p>
          For people elsewhere to reach <strong>{serverName}</strong>, its DNS must point at this
          computer&rsquo;s internet address, and your router must let connections in. Once the
          server is created, Hearth checks this for you and shows what is missing.
        </p>
        {summary}
      </>
    );
  }
  const s = networkSnippets(host || serverName, hearthPort(status));
  return (
    <>
      {choice2}
      <p>
        Other Matrix servers reach <strong>{serverName}</strong> over HTTPS. Put a reverse proxy in
        front of Hearth: it holds the certificate and passes requests on ports 443 and 8448 to
        Hearth on port {hearthPort(status)}. Then set <code>x_forwarded: true</code> on the listener
        in homeserver.yaml, so Hearth sees each client&rsquo;s real address.
      </p>
      <details className="wizard-details">
        <summary>Caddy (gets certificates by itself)</summary>
        <CopyBlock label="Caddyfile" text={s.caddy} />
      </details>
      <details className="wizard-details">
        <summary>nginx</summary>
        <CopyBlock label="nginx site" text={s.nginx} />
      </details>
      <h3 className="wizard-subhead">If Hearth runs on another host</h3>
      <p>
        If {serverName} is your website and Hearth runs elsewhere (say matrix.{serverName}), the
        website tells other servers and apps where to go. Serve these two files from{' '}
        <code>https://{serverName}</code>:
      </p>
      <TextField
        label="Host where Hearth runs"
        value={host}
        onChange={(v) => setHost(v.trim().toLowerCase())}
        inputMode="url"
        autoComplete="off"
        hint="The snippets above and below follow what you type here."
      />
      <CopyBlock label="/.well-known/matrix/server" text={s.wellKnownServer} />
      <CopyBlock label="/.well-known/matrix/client" text={s.wellKnownClient} />
      {summary}
    </>
  );
}
