import type { Ctx } from '../context.js';
import type { Config } from '../core/config/types.js';
import { MatrixError } from '../core/errors.js';
import { isValidServerName } from '../core/ids.js';
import { signingPayload, signPayload } from '../core/signing.js';
import { getServerVerifyKey, ServerKeyError } from './keys/fetch.js';
import { verifiesSafely } from './keys/response.js';
import type { FederationMethod, RequestSigner } from './types.js';

/**
 * The X-Matrix Authorization scheme (server-server "Request Authentication"): signing
 * outgoing requests, and parsing and verifying incoming ones.
 */

export interface XMatrixParams {
  origin: string;
  /** Absent in requests of servers older than spec v1.3. */
  destination: string | undefined;
  key: string;
  sig: string;
}

/**
 * The JSON a request signature covers: method, target (path and query as sent), both
 * server names and, when there is a body, its parsed JSON as `content`.
 */
export function requestSigningJson(
  method: string,
  uri: string,
  origin: string,
  destination: string,
  content: unknown,
): Record<string, unknown> {
  const json: Record<string, unknown> = { method, uri, origin, destination };
  if (content !== undefined) json.content = content;
  return json;
}

/**
 * The header value. As the spec asks of senders for older servers: one space after
 * X-Matrix, lower-case names, no spaces around commas; values are quoted (server names
 * may hold ':' and '[').
 */
export function formatXMatrixHeader(p: {
  origin: string;
  destination: string;
  key: string;
  sig: string;
}): string {
  const q = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;
  return `X-Matrix origin=${q(p.origin)},destination=${q(p.destination)},key=${q(p.key)},sig=${q(p.sig)}`;
}

/**
 * The RequestSigner of this server (federation/types.ts): signs with the first key of
 * the signing key file, the one that signs everything this server sends.
 */
export function createRequestSigner(
  config: Pick<Config, 'serverName' | 'signingKeys'>,
): RequestSigner {
  const key = config.signingKeys[0];
  if (!key) throw new Error('no signing key is loaded');
  const origin = config.serverName;
  return (destination: string, method: FederationMethod, path: string, body: unknown) => {
    const json = requestSigningJson(method, path, origin, destination, body);
    const sig = signPayload(signingPayload(json), key);
    return formatXMatrixHeader({ origin, destination, key: key.keyId, sig });
  };
}

function unauthorized(message: string): MatrixError {
  return new MatrixError('M_UNAUTHORIZED', message, 401);
}

// An unquoted value: RFC 9110 `token` characters, plus, leniently, anything but
// separators, spaces and quotes. The spec asks recipients to accept unquoted colons;
// older senders also left base64 signatures ('/', '+') unquoted.
const VALUE_CHAR = /[^,\s"]/;
// RFC 9110 section 5.6.2 `tchar`.
const NAME_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses an `Authorization: X-Matrix ...` value (RFC 9110 section 11.4 auth-params: names
 * case-insensitive, any order, values tokens or quoted strings with backslash escapes,
 * spaces and tabs around commas; unknown parameters ignored). Throws 401 M_UNAUTHORIZED
 * naming what is wrong.
 */
export function parseXMatrixHeader(header: string): XMatrixParams {
  const scheme = /^X-Matrix +/i.exec(header);
  if (!scheme) throw unauthorized('Authorization header is not of the X-Matrix scheme');
  const bad = (why: string) => unauthorized(`Malformed X-Matrix Authorization header: ${why}`);
  const s = header;
  let i = scheme[0].length;
  const params = new Map<string, string>();
  const skipSpace = () => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  while (i < s.length) {
    skipSpace();
    if (s[i] === ',') {
      i++; // an empty list element (RFC 9110 section 5.6.1)
      continue;
    }
    const nameStart = i;
    while (i < s.length && NAME_CHAR.test(s[i]!)) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (!name) throw bad(`unexpected "${s[i]}" at ${i}`);
    skipSpace();
    if (s[i] !== '=') throw bad(`parameter ${name} has no value`);
    i++;
    skipSpace();
    let value = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw bad(`the value of ${name} has no closing quote`);
        const c = s[i++]!;
        if (c === '"') break;
        if (c === '\\') {
          if (i >= s.length) throw bad(`the value of ${name} ends in a backslash`);
          value += s[i++];
        } else value += c;
      }
    } else {
      const start = i;
      while (i < s.length && VALUE_CHAR.test(s[i]!)) i++;
      value = s.slice(start, i);
      if (!value) throw bad(`parameter ${name} has an empty value`);
    }
    if (params.has(name)) throw bad(`parameter ${name} is given twice`);
    params.set(name, value);
    skipSpace();
    if (i < s.length && s[i] !== ',') throw bad(`expected "," after parameter ${name}`);
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (origin === undefined) throw bad('no origin');
  if (key === undefined) throw bad('no key');
  if (sig === undefined) throw bad('no sig');
  if (!isValidServerName(origin)) throw bad(`origin "${origin}" is not a server name`);
  return { origin, destination: params.get('destination'), key, sig };
}

export interface IncomingFederationRequest {
  method: string;
  /** The request target as received: path and query string. */
  uri: string;
  authorization: string | undefined;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

/**
 * Authenticates a request from another homeserver; resolves with its server name.
 * - 401 M_UNAUTHORIZED: no header, a malformed one, a destination other than this server,
 *   a key that cannot be found (or is not a current key), or a bad signature.
 * - 403 M_FORBIDDEN: the origin is not in federation_domain_whitelist (when set).
 * The signed JSON always names this server as destination: servers that omit the
 * parameter (before v1.3) signed it that way too.
 */
export async function authenticateFederationRequest(
  ctx: Ctx,
  req: IncomingFederationRequest,
): Promise<string> {
  if (req.authorization === undefined) {
    throw unauthorized('Missing X-Matrix Authorization header');
  }
  const p = parseXMatrixHeader(req.authorization);
  const self = ctx.config.serverName;
  if (p.destination !== undefined && p.destination !== self) {
    throw unauthorized(`The request is for ${p.destination}, not for this server (${self})`);
  }
  const whitelist = ctx.config.federationDomainWhitelist;
  if (whitelist && !whitelist.includes(p.origin)) {
    throw new MatrixError('M_FORBIDDEN', `Federation denied with ${p.origin}`, 403);
  }
  let key;
  try {
    key = await getServerVerifyKey(ctx, p.origin, p.key, { minimumValidUntilTs: ctx.clock.now() });
  } catch (err) {
    if (err instanceof ServerKeyError) {
      throw unauthorized(`Cannot check the signature of ${p.origin}: ${err.message}`);
    }
    throw err;
  }
  if (key.expiredTs !== null) {
    throw unauthorized(`Key ${p.key} of ${p.origin} is an old key; it cannot sign requests`);
  }
  const json = requestSigningJson(req.method, req.uri, p.origin, self, req.body);
  if (!verifiesSafely(json, p.sig, key.key)) {
    throw unauthorized(`Invalid X-Matrix signature of ${p.origin} with key ${p.key}`);
  }
  return p.origin;
}
