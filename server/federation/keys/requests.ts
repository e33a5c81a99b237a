import type { FederationClient } from '../types.js';
import {
  KeyResponseError,
  parseKeyResponse,
  verifiesSafely,
  type ParsedKeyResponse,
} from './response.js';
import { isObject } from '../../core/is-object.js';

/**
 * The two ways of asking for a server's keys: the server itself, or a notary. Both check
 * what they get; caching is the caller's (fetch.ts, notary.ts).
 */

const KEY_FETCH_TIMEOUT_MS = 10_000;
/** Key answers are small; a notary's answer for one server is too. */
const KEY_ANSWER_MAX_BYTES = 512 * 1024;

/** GET /_matrix/key/v2/server of `serverName`, unsigned (keys_server.yaml). */
export async function fetchDirect(
  client: FederationClient,
  serverName: string,
): Promise<ParsedKeyResponse> {
  const res = await client.request(serverName, {
    method: 'GET',
    path: '/_matrix/key/v2/server',
    unsigned: true,
    timeoutMs: KEY_FETCH_TIMEOUT_MS,
    maxBytes: KEY_ANSWER_MAX_BYTES,
  });
  if (res.status !== 200) throw new KeyResponseError(`it answered HTTP ${res.status}`);
  return parseKeyResponse(res.body, serverName);
}

/**
 * POST /_matrix/key/v2/query to a notary for `serverName`'s keys (keys_query.yaml). Each
 * answer must be the server's own (self-signed) and, when the notary's verify_keys are
 * configured, signed by one of them (as Synapse checks; without verify_keys the notary is
 * trusted on its TLS certificate alone). The answer valid longest wins.
 */
export async function fetchViaNotary(
  client: FederationClient,
  notary: { serverName: string; verifyKeys: Record<string, string> },
  serverName: string,
): Promise<ParsedKeyResponse> {
  const res = await client.request(notary.serverName, {
    method: 'POST',
    path: '/_matrix/key/v2/query',
    body: { server_keys: { [serverName]: {} } },
    timeoutMs: KEY_FETCH_TIMEOUT_MS,
    maxBytes: KEY_ANSWER_MAX_BYTES,
  });
  if (res.status !== 200) throw new KeyResponseError(`it answered HTTP ${res.status}`);
  const list = isObject(res.body) ? res.body.server_keys : undefined;
  if (!Array.isArray(list)) throw new KeyResponseError('the answer has no server_keys list');
  let best: ParsedKeyResponse | null = null;
  for (const entry of list) {
    if (!isObject(entry) || entry.server_name !== serverName) continue;
    const parsed = parseKeyResponse(entry, serverName);
    checkNotarySignature(entry, notary);
    if (!best || parsed.validUntilTs > best.validUntilTs) best = parsed;
  }
  if (!best) throw new KeyResponseError(`it has no keys of ${serverName}`);
  return best;
}

function checkNotarySignature(
  entry: Record<string, unknown>,
  notary: { serverName: string; verifyKeys: Record<string, string> },
): void {
  const wanted = Object.entries(notary.verifyKeys);
  if (!wanted.length) return;
  const sigs = isObject(entry.signatures) ? entry.signatures[notary.serverName] : undefined;
  let verified = false;
  for (const [keyId, key] of wanted) {
    const sig = isObject(sigs) ? sigs[keyId] : undefined;
    if (typeof sig !== 'string') continue;
    if (!verifiesSafely(entry, sig, key)) {
      throw new KeyResponseError(`the notary's signature with ${keyId} is not valid`);
    }
    verified = true;
  }
  if (!verified) {
    throw new KeyResponseError(
      `the answer is not signed by any configured key of ${notary.serverName}`,
    );
  }
}
