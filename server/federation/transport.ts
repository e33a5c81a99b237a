import { promises as dns } from 'node:dns';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { LRUCache } from 'lru-cache';
import sjson from 'secure-json-parse';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config/types.js';
import type { Logger } from '../core/logger.js';
import { GuardedHttpsAgent, type AddressGuard } from '../net/guarded-agent.js';
import {
  BlockedAddressError,
  createGuardedLookup,
  resolverResolveAll,
  systemResolveAll,
} from '../net/guarded-lookup.js';
import { createAddressPolicy } from '../net/ip-ranges.js';
import { RequestFailure, sendRequest, type IncomingAnswer } from '../net/http-request.js';
import { ServerDiscovery, type ResolvedServer } from './discovery.js';
import {
  FederationTransportError,
  type FederationClient,
  type FederationRequest,
  type FederationResponse,
  type RequestSigner,
} from './types.js';

type TransportConfig = Pick<
  Config,
  | 'federationVerifyCertificates'
  | 'federationCustomCaList'
  | 'federationDomainWhitelist'
  | 'ipRangeBlacklist'
  | 'ipRangeWhitelist'
  | 'serverName'
>;

export interface FederationTransportOptions {
  config: TransportConfig;
  log: Logger;
  signer: RequestSigner;
  /** DNS servers for SRV and A/AAAA lookups (`127.0.0.1:5353`); default: the system's
   * resolver (getaddrinfo for addresses, so /etc/hosts applies). */
  dnsServers?: string[];
  clock?: Clock;
  /** Default per-request timeout (60 s). */
  timeoutMs?: number;
  /** Default answer size limit (100 MiB: a big room's /send_join answer is tens of MB). */
  maxBytes?: number;
  /** User-Agent sent with every request. */
  userAgent?: string;
}

export interface FederationTransport extends FederationClient {
  /** Server discovery, with its .well-known cache (exposed for diagnostics and tests). */
  readonly discovery: ServerDiscovery;
  /** Closes every kept-alive connection. */
  close(): void;
}

/**
 * A server named localhost (with or without a port) can only ever federate with servers on
 * the same machine (no other server can reach it by that name): its guard lets loopback
 * through, so `localhost:PORT` servers federate with no further set-up (issue 4, `hearth
 * demo`). Every other server keeps the configured ranges, loopback blocked by default.
 */
export function isMachineLocal(serverName: string): boolean {
  return serverName === 'localhost' || serverName.startsWith('localhost:');
}

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/**
 * The outgoing federation client over HTTPS: server discovery, certificate checks against
 * the system CAs plus federation_custom_ca_list (unless federation_verify_certificates is
 * false), every connection through the ip_range_blacklist guard, one keep-alive agent per
 * destination, signed requests. Failures below HTTP throw FederationTransportError; any
 * HTTP status is returned to the caller.
 */
export function createFederationTransport(opts: FederationTransportOptions): FederationTransport {
  const { config, log } = opts;
  const policy = createAddressPolicy({
    blacklist: config.ipRangeBlacklist,
    whitelist: isMachineLocal(config.serverName)
      ? [...config.ipRangeWhitelist, ...LOOPBACK]
      : config.ipRangeWhitelist,
  });
  const resolve = opts.dnsServers?.length
    ? resolverResolveAll(resolverFor(opts.dnsServers))
    : systemResolveAll;
  const guard: AddressGuard = { policy, lookup: createGuardedLookup({ policy, resolve }) };
  const ca = config.federationCustomCaList.length
    ? [...rootCertificates, ...config.federationCustomCaList.map((f) => readFileSync(f, 'utf8'))]
    : undefined;
  const tlsOptions = {
    ...(ca ? { ca } : {}),
    rejectUnauthorized: config.federationVerifyCertificates,
    minVersion: 'TLSv1.2' as const,
  };
  const agents = new LRUCache<string, GuardedHttpsAgent>({
    max: 1000,
    dispose: (agent) => agent.destroy(),
  });
  const agentFor = (destination: string) => {
    let agent = agents.get(destination);
    if (!agent) {
      agent = new GuardedHttpsAgent(guard, { ...tlsOptions, keepAlive: true, maxSockets: 16 });
      agents.set(destination, agent);
    }
    return agent;
  };
  const discovery = new ServerDiscovery({
    wellKnownAgent: new GuardedHttpsAgent(guard, { ...tlsOptions, keepAlive: false }),
    ...(opts.dnsServers ? { dnsServers: opts.dnsServers } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    log,
  });
  const whitelist = config.federationDomainWhitelist
    ? new Set(config.federationDomainWhitelist.map((d) => d.toLowerCase()))
    : null;
  const userAgent = opts.userAgent ?? 'Hearth';

  async function request(destination: string, req: FederationRequest): Promise<FederationResponse> {
    const fail = (message: string, reason: FederationTransportError['reason']) =>
      new FederationTransportError(message, destination, reason);
    if (whitelist && !whitelist.has(destination.toLowerCase())) {
      throw fail(`${destination} is not in federation_domain_whitelist`, 'blocked_destination');
    }
    let resolved: ResolvedServer;
    try {
      resolved = await discovery.resolveServerName(destination);
    } catch (err) {
      throw fail(`cannot resolve ${destination}: ${(err as Error).message}`, 'dns');
    }
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = {
      Host: resolved.hostHeader,
      'User-Agent': userAgent,
      Accept: 'application/json',
    };
    if (body) headers['Content-Type'] = 'application/json';
    if (!req.unsigned) {
      headers.Authorization = opts.signer(destination, req.method, req.path, req.body);
    }
    let answer: IncomingAnswer | undefined;
    let lastError: FederationTransportError | undefined;
    // SRV may give several targets: the next is tried only when this one cannot be reached.
    for (const target of resolved.targets) {
      try {
        answer = await sendRequest({
          protocol: 'https:',
          host: target.host,
          port: target.port,
          method: req.method,
          path: req.path,
          headers,
          ...(resolved.tlsServerName ? { servername: resolved.tlsServerName } : {}),
          ...(body ? { body } : {}),
          agent: agentFor(destination),
          timeoutMs: req.timeoutMs ?? opts.timeoutMs ?? 60_000,
          maxBytes: req.maxBytes ?? opts.maxBytes ?? 100 * 1024 * 1024,
        });
        break;
      } catch (err) {
        lastError = classify(err, destination, `${target.host}:${target.port}`);
        if (!['dns', 'connect', 'blocked_address'].includes(lastError.reason)) throw lastError;
      }
    }
    if (!answer) throw lastError ?? fail(`${destination} has no target`, 'dns');
    log.debug(
      { destination, method: req.method, path: req.path.split('?')[0], status: answer.status },
      'federation request',
    );
    if (req.raw) {
      const { status, headers } = answer;
      return { status, body: undefined, headers, rawBody: answer.body };
    }
    return { status: answer.status, body: parseBody(answer, destination), headers: answer.headers };
  }

  return {
    request,
    discovery,
    close: () => agents.clear(),
  };
}

/** The answer's JSON; a 2xx that is not JSON is a bad response, an error page is just empty. */
function parseBody(answer: IncomingAnswer, destination: string): unknown {
  const text = answer.body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return sjson.parse(text, null, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    if (answer.status >= 200 && answer.status < 300) {
      throw new FederationTransportError(
        `${destination} answered ${answer.status} with a body that is not JSON`,
        destination,
        'bad_response',
      );
    }
    return undefined;
  }
}

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|EPROTO$)/;
const DNS_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_AGAIN', 'ESERVFAIL', 'ETIMEOUT']);

/** Maps what sendRequest threw to the seam's reasons, with the cause in the message. */
function classify(err: unknown, destination: string, target: string): FederationTransportError {
  const make = (message: string, reason: FederationTransportError['reason']) =>
    new FederationTransportError(message, destination, reason);
  if (!(err instanceof RequestFailure)) return make((err as Error).message, 'connect');
  if (err.kind === 'timeout') return make(`${target}: ${err.message}`, 'timeout');
  if (err.kind === 'too_large') return make(`${target}: ${err.message}`, 'too_large');
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  if (cause instanceof BlockedAddressError) return make(cause.message, 'blocked_address');
  const code = cause?.code ?? '';
  if (TLS_CODES.test(code)) return make(`${target}: TLS: ${err.message} (${code})`, 'tls');
  if (DNS_CODES.has(code)) return make(`${target}: ${err.message}`, 'dns');
  return make(`${target}: ${err.message}${code ? ` (${code})` : ''}`, 'connect');
}

function resolverFor(servers: string[]): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: 5000, tries: 2 });
  resolver.setServers(servers);
  return resolver;
}
