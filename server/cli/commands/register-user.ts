import { computeRegistrationMac } from '../../accounts/shared-secret.js';
import { loadConfigFile } from '../../core/config/load.js';
import type { Config } from '../../core/config/types.js';
import { prompt } from '../prompt.js';
import { UsageError, type Command } from '../usage.js';

/** The client URL of a config: its first listener serving `client`, on localhost. */
export function clientUrlOf(config: Config): string {
  const l = config.listeners.find((x) => x.resources.has('client'));
  if (!l) return 'http://localhost:8008';
  return `${l.tls ? 'https' : 'http'}://localhost:${l.port}`;
}

/**
 * hearth register-user: creates a user on a running server through shared-secret
 * registration, like Synapse's register_new_matrix_user. Missing flags are asked for;
 * the password is read without echo.
 */
export const registerUserCommand: Command = {
  name: 'register-user',
  summary: 'create a user on a running server (shared-secret registration)',
  usage:
    'hearth register-user (--config FILE | --shared-secret SECRET) [--user NAME] [--password PW] [--admin | --no-admin] [--user-type bot|support] [--exists-ok] [SERVER_URL]',
  allowPositionals: true,
  options: {
    config: { type: 'string', short: 'c' },
    'shared-secret': { type: 'string', short: 'k' },
    user: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    admin: { type: 'boolean', short: 'a' },
    'no-admin': { type: 'boolean' },
    'user-type': { type: 'string', short: 't' },
    'exists-ok': { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    if (values.admin && values['no-admin'])
      throw new UsageError('--admin and --no-admin contradict each other');
    let secret = values['shared-secret'] as string | undefined;
    let url = positionals[0];
    if (typeof values.config === 'string') {
      const { config } = loadConfigFile(values.config, { signingKeys: [] });
      secret ??= config.registrationSharedSecret ?? undefined;
      url ??= clientUrlOf(config);
    }
    if (!secret) {
      throw new UsageError(
        'no shared secret: give --config with registration_shared_secret, or --shared-secret',
      );
    }
    url = (url ?? 'http://localhost:8008').replace(/\/$/, '');
    const username = (values.user as string | undefined) ?? (await prompt('New user localpart: '));
    if (!username) throw new UsageError('the user name cannot be empty');
    let password = values.password as string | undefined;
    if (password === undefined) {
      password = await prompt('Password: ', { hidden: true });
      if (!password) throw new UsageError('the password cannot be empty');
      if ((await prompt('Confirm password: ', { hidden: true })) !== password) {
        process.stderr.write('hearth: passwords do not match\n');
        return 1;
      }
    }
    let admin = values.admin === true;
    if (!values.admin && !values['no-admin']) {
      admin = /^y(es)?$/i.test((await prompt('Make admin [no]: ')).trim());
    }
    const userType = (values['user-type'] as string | undefined) ?? null;
    return register(url, {
      secret,
      username,
      password,
      admin,
      userType,
      existsOk: values['exists-ok'] === true,
    });
  },
};

async function register(
  url: string,
  a: {
    secret: string;
    username: string;
    password: string;
    admin: boolean;
    userType: string | null;
    existsOk: boolean;
  },
): Promise<number> {
  const endpoint = `${url}/_synapse/admin/v1/register`;
  let res: Response;
  try {
    res = await fetch(endpoint);
  } catch (err) {
    process.stderr.write(
      `hearth: cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}\n`,
    );
    return 1;
  }
  const first = (await res.json().catch(() => ({}))) as { nonce?: string; error?: string };
  if (!res.ok || !first.nonce) {
    process.stderr.write(
      `hearth: ${endpoint} answered ${res.status}: ${first.error ?? 'no nonce'}\n`,
    );
    return 1;
  }
  const body = {
    nonce: first.nonce,
    username: a.username,
    password: a.password,
    admin: a.admin,
    ...(a.userType ? { user_type: a.userType } : {}),
  };
  const mac = computeRegistrationMac(a.secret, body);
  res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, mac }),
  });
  const out = (await res.json().catch(() => ({}))) as {
    user_id?: string;
    errcode?: string;
    error?: string;
  };
  if (res.ok) {
    process.stdout.write(`Registered ${out.user_id}${a.admin ? ' (admin)' : ''}\n`);
    return 0;
  }
  if (a.existsOk && out.errcode === 'M_USER_IN_USE') {
    process.stdout.write(`User ${a.username} already exists\n`);
    return 0;
  }
  process.stderr.write(
    `hearth: registration failed: ${out.errcode ?? res.status} ${out.error ?? ''}\n`,
  );
  return 1;
}
