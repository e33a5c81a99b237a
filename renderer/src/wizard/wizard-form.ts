import type { NetworkMode, RegistrationMode, SetupStatus } from './setup-api';
import { isLocalName } from './network-snippets';

/** Everything the person has entered so far; kept while they go back and forth. */
export interface WizardForm {
  nameKind: 'local' | 'domain';
  domain: string;
  username: string;
  displayname: string;
  password: string;
  password2: string;
  registration: RegistrationMode;
  /** For a domain: Hearth sets up certificate and router itself, or the person does. */
  network: NetworkMode;
}

export function initialForm(status: SetupStatus): WizardForm {
  const local = isLocalName(status.server_name);
  return {
    nameKind: local ? 'local' : 'domain',
    domain: local ? '' : status.server_name,
    username: 'admin',
    displayname: '',
    password: '',
    password2: '',
    registration: status.registration,
    // The desktop app on a home machine has no reverse proxy: it does it itself by default.
    network: status.mode === 'desktop' ? 'automatic' : 'manual',
  };
}

/** The server name the form stands for (a local name stays the one the server has). */
export function serverNameOf(form: WizardForm, status: SetupStatus): string {
  if (form.nameKind === 'domain') return form.domain.trim();
  return isLocalName(status.server_name) ? status.server_name : 'localhost';
}

export const STEP_TITLES = [
  'Server name',
  'Your admin account',
  'Who can join',
  'Reaching your server',
] as const;

export const REGISTRATION_CHOICES: { mode: RegistrationMode; title: string; text: string }[] = [
  {
    mode: 'closed',
    title: 'Nobody else',
    text: 'Only you make accounts, from the admin pages. The safest choice for a personal server.',
  },
  {
    mode: 'token',
    title: 'People with an invite token',
    text: 'You create tokens in the admin pages and give one to each person you want on your server.',
  },
  {
    mode: 'open',
    title: 'Anyone',
    text:
      'Anyone who can reach this server can make an account, with no check at all. ' +
      'Choose this only on a private network, or if you are ready to moderate strangers.',
  },
];

export const NETWORK_CHOICES: { mode: NetworkMode; title: string; text: string }[] = [
  {
    mode: 'automatic',
    title: 'Hearth sets it up',
    text:
      'For a computer on a home network. Hearth gets a certificate from Let’s Encrypt and asks ' +
      'your router to forward the ports it needs (UPnP), and keeps both renewed.',
  },
  {
    mode: 'manual',
    title: 'I set it up myself',
    text: 'You run a reverse proxy (Caddy, nginx) or forward ports and manage certificates yourself.',
  },
];
