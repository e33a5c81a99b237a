import { promises as dns } from 'node:dns';
import { Agent as HttpsAgent } from 'node:https';
import { connect as netConnect, isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import {
  DEFAULT_FEDERATION_PORT,
  fetchWellKnown,
  parseServerName,
  ServerDiscovery,
  type ResolvedServer,
} from '../../federation/discovery.js';
import { parseKeyResponse } from '../../federation/keys/response.js';
import { httpsGet } from '../http-get.js';
import { isPrivateAddress } from './addresses.js';
import type { CheckItem } from './report.js';

/**
 * The checks, each a function giving one CheckItem, in the order other servers meet them
 * (the federation tester's order): DNS, delegation, port, TLS, the key answer; then the
 * client .well-known Element reads. They look at this server from the network as another
 * server would: the server's own name, resolved and connected to like any destination.
 */
export interface CheckEnv {
  serverName: string;
  /** Extra CA certificates (PEM) besides the system's: federation_custom_ca_list. */
  extraCa: string[];
  verifyCertificates: boolean;
  /** DNS servers for lookups (tests); default the system's. */
  dnsServers?: string[];
  timeoutMs: number;
  /** Federation within a private network: private addresses count as reachable. */
  privateNetwork?: boolean;
}

export function tlsOptions(env: CheckEnv) {
  return {
    ...(env.extraCa.length ? { ca: [...rootCertificates, ...env.extraCa] } : {}),
    rejectUnauthorized: env.verifyCertificates,
    minVersion: 'TLSv1.2' as const,
  };
}

/** Addresses of a host name: through the given DNS servers, else getaddrinfo. */
export async function resolveHost(env: CheckEnv, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  if (env.dnsServers?.length) {
    const r = new dns.Resolver({ timeout: env.timeoutMs, tries: 1 });
    r.setServers(env.dnsServers);
    const [v4, v6] = await Promise.all([
      r.resolve4(host).catch(() => [] as string[]),
      r.resolve6(host).catch(() => [] as string[]),
    ]);
    return [...v4, ...v6];
  }
  return (await dns.lookup(host, { all: true })).map((a) => a.address);
}

export async function checkDns(env: CheckEnv, host: string): Promise<CheckItem> {
  const label = 'DNS for the server name';
  let addresses: string[] = [];
  try {
    addresses = await resolveHost(env, host);
  } catch {
    addresses = [];
  }
  if (!addresses.length) {
    return {
      id: 'dns',
      label,
      ok: false,
      detail: `${host} does not resolve to any address.`,
      fix: `Create an A (and AAAA) record for ${host} pointing at your public IP address, at your domain's DNS provider.`,
      short: `${host} has no DNS record`,
    };
  }
  const priv = addresses.filter(isPrivateAddress);
  if (!env.privateNetwork && priv.length === addresses.length) {
    return {
      id: 'dns',
      label,
      ok: false,
      detail: `${host} resolves to ${addresses.join(', ')}, a private address other servers cannot reach.`,
      fix: `Point ${host} at your public IP address (your router's external address), not the machine's address in your home network.`,
      short: `${host} points at a private address`,
    };
  }
  return { id: 'dns', label, ok: true, detail: `${host} resolves to ${addresses.join(', ')}.` };
}

export async function checkWellKnown(
  env: CheckEnv,
  host: string,
): Promise<{ item: CheckItem; delegated: string | null }> {
  const label = 'Delegation (/.well-known/matrix/server)';
  const agent = new HttpsAgent({ ...tlsOptions(env), keepAlive: false });
  const outcome = await fetchWellKnown(host, { agent, timeoutMs: env.timeoutMs, now: Date.now() });
  agent.destroy();
  if (outcome.kind === 'valid') {
    return {
      item: {
        id: 'well_known',
        label,
        ok: true,
        detail: `Federation for ${host} is delegated to ${outcome.delegated}.`,
      },
      delegated: outcome.delegated,
    };
  }
  if (outcome.kind === 'invalid' && !/status 404/.test(outcome.reason)) {
    return {
      item: {
        id: 'well_known',
        label,
        ok: false,
        detail: `https://${host}/.well-known/matrix/server answered, but not with a delegation (${outcome.reason}).`,
        fix: 'Serve {"m.server": "<host>:<port>"} there, or remove the file so other servers use port 8448 directly.',
      },
      delegated: null,
    };
  }
  return {
    item: {
      id: 'well_known',
      label,
      ok: null,
      detail: `No delegation (${outcome.reason}): other servers connect to ${host} directly, on port ${DEFAULT_FEDERATION_PORT} unless DNS SRV says otherwise.`,
    },
    delegated: null,
  };
}

export function discoveryFor(env: CheckEnv): ServerDiscovery {
  return new ServerDiscovery({
    wellKnownAgent: new HttpsAgent({ ...tlsOptions(env), keepAlive: false }),
    ...(env.dnsServers ? { dnsServers: env.dnsServers } : {}),
    wellKnownTimeoutMs: env.timeoutMs,
  });
}

export async function checkPort(
  env: CheckEnv,
  target: { host: string; port: number },
): Promise<{ item: CheckItem; address: string | null }> {
  const label = `Port ${target.port} open`;
  let addresses: string[] = [];
  try {
    addresses = await resolveHost(env, target.host);
  } catch {
    addresses = [];
  }
  const fix =
    `Forward TCP port ${target.port} on your router to this machine (or turn on port ` +
    `mapping), and allow it in the machine's firewall.`;
  for (const address of addresses) {
    const result = await tcpProbe(address, target.port, env.timeoutMs);
    if (result === 'open') {
      return {
        item: {
          id: 'port',
          label,
          ok: true,
          detail: `${target.host}:${target.port} (${address}) accepts connections.`,
        },
        address,
      };
    }
  }
  return {
    item: {
      id: 'port',
      label,
      ok: false,
      detail: addresses.length
        ? `Nothing answered on ${target.host}:${target.port} (${addresses.join(', ')}).`
        : `${target.host} does not resolve, so port ${target.port} cannot be reached.`,
      fix,
      short: `port ${target.port} closed`,
    },
    address: null,
  };
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<'open' | 'closed'> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (r: 'open' | 'closed') => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done('closed'));
    socket.once('connect', () => done('open'));
    socket.once('error', () => done('closed'));
  });
}

export async function checkTls(
  env: CheckEnv,
  address: string,
  port: number,
  name: string | null,
): Promise<CheckItem> {
  const label = 'TLS certificate';
  const result = await new Promise<{ cert?: PeerCertificate; error?: string }>((resolve) => {
    const socket = tlsConnect({
      host: address,
      port,
      ...(name && !isIP(name) ? { servername: name } : {}),
      ...tlsOptions(env),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    socket.setTimeout(env.timeoutMs, () => {
      socket.destroy();
      resolve({ error: 'the TLS handshake timed out' });
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const authorized = socket.authorized;
      const why = socket.authorizationError;
      socket.destroy();
      resolve(authorized ? { cert } : { cert, error: String(why ?? 'not trusted') });
    });
    socket.once('error', (err) => resolve({ error: err.message }));
  });
  const expected = name ?? address;
  if (result.error || !result.cert) {
    const mismatch = result.error && /ALTNAME|hostname/i.test(result.error);
    return {
      id: 'tls',
      label,
      ok: false,
      detail: `The certificate on ${expected}:${port} is not valid: ${result.error ?? 'none was sent'}.`,
      fix: mismatch
        ? `Use a certificate issued for ${expected} (turn on automatic certificates, or get one from Let's Encrypt).`
        : `Serve a certificate for ${expected} from a public certificate authority (automatic certificates do this); self-signed certificates are refused by other servers.`,
      short: mismatch
        ? `the certificate is not for ${expected}`
        : 'the TLS certificate is not valid',
    };
  }
  const until = new Date(result.cert.valid_to);
  const daysLeft = Math.floor((until.getTime() - Date.now()) / 86_400_000);
  return {
    id: 'tls',
    label,
    ok: true,
    detail: `Valid for ${expected}, issued by ${issuerName(result.cert)}, until ${until.toISOString().slice(0, 10)} (${daysLeft} days).`,
  };
}

function issuerName(cert: PeerCertificate): string {
  const i = cert.issuer as unknown as Record<string, string | string[] | undefined>;
  const v = i.O ?? i.CN;
  return Array.isArray(v) ? v.join(', ') : (v ?? 'an unknown issuer');
}

export async function checkKey(
  env: CheckEnv,
  resolved: ResolvedServer,
  address: string,
  port: number,
): Promise<CheckItem> {
  const label = 'Server keys (/_matrix/key/v2/server)';
  const agent = new HttpsAgent({
    ...tlsOptions(env),
    keepAlive: false,
    // Connect to the address checked; the certificate is checked for the TLS name.
    lookup: (_h, _o, cb) => cb(null, [{ address, family: isIP(address) }]),
    ...(resolved.tlsServerName ? { servername: resolved.tlsServerName } : {}),
  });
  try {
    const host = resolved.tlsServerName ?? address;
    const url = `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}/_matrix/key/v2/server`;
    const answer = await httpsGet(url, {
      agent,
      timeoutMs: env.timeoutMs,
      maxBytes: 64 * 1024,
      headers: { host: resolved.hostHeader },
    });
    if (answer.status !== 200) {
      return keyFailure(label, `it answered with HTTP status ${answer.status}`);
    }
    const body: unknown = JSON.parse(answer.body.toString('utf8'));
    const parsed = parseKeyResponse(body, env.serverName);
    return {
      id: 'key',
      label,
      ok: true,
      detail: `Answers for ${env.serverName}, signed with ${Object.keys(parsed.verifyKeys).join(', ')}.`,
    };
  } catch (err) {
    return keyFailure(label, err instanceof Error ? err.message : String(err));
  } finally {
    agent.destroy();
  }
}

function keyFailure(label: string, why: string): CheckItem {
  return {
    id: 'key',
    label,
    ok: false,
    detail: `Other servers cannot use this server's keys: ${why}.`,
    fix: 'Make sure the federation port reaches this Hearth (not another server or a web server) and that server_name in homeserver.yaml is the name you checked.',
    short: "the server's keys cannot be fetched",
  };
}

export async function checkClientWellKnown(env: CheckEnv, host: string): Promise<CheckItem> {
  const label = 'Client discovery (/.well-known/matrix/client)';
  const agent = new HttpsAgent({ ...tlsOptions(env), keepAlive: false });
  const fix =
    `Serve {"m.homeserver": {"base_url": "https://<address of this server>"}} at ` +
    `https://${host}/.well-known/matrix/client (set public_baseurl and Hearth serves it), so ` +
    `Element finds this server from the user ID alone.`;
  try {
    const answer = await httpsGet(`https://${host}/.well-known/matrix/client`, {
      agent,
      timeoutMs: env.timeoutMs,
      maxBytes: 64 * 1024,
    });
    if (answer.status !== 200) {
      return {
        id: 'client_well_known',
        label,
        ok: false,
        detail: `It answered ${answer.status}.`,
        fix,
      };
    }
    const body = JSON.parse(answer.body.toString('utf8')) as {
      'm.homeserver'?: { base_url?: unknown };
    };
    const base = body['m.homeserver']?.base_url;
    if (typeof base !== 'string') {
      return {
        id: 'client_well_known',
        label,
        ok: false,
        detail: 'It has no m.homeserver.base_url.',
        fix,
      };
    }
    const versions = await httpsGet(new URL('/_matrix/client/versions', base).href, {
      agent,
      timeoutMs: env.timeoutMs,
      maxBytes: 64 * 1024,
    });
    if (versions.status !== 200) {
      return {
        id: 'client_well_known',
        label,
        ok: false,
        detail: `It points at ${base}, which did not answer /_matrix/client/versions (${versions.status}).`,
        fix,
      };
    }
    return {
      id: 'client_well_known',
      label,
      ok: true,
      detail: `Element finds this server at ${base}.`,
    };
  } catch (err) {
    return {
      id: 'client_well_known',
      label,
      ok: false,
      detail: `It could not be fetched: ${err instanceof Error ? err.message : String(err)}.`,
      fix,
    };
  } finally {
    agent.destroy();
  }
}

export { parseServerName, DEFAULT_FEDERATION_PORT };
