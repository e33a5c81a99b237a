import type { Ctx } from '../../context.js';
import { MatrixError } from '../../core/errors.js';
import { fetchDirect, fetchViaNotary } from './requests.js';
import { MAX_KEY_VALIDITY_MS, type ParsedKeyResponse } from './response.js';
import {
  getKeyResponse,
  getSigningKey,
  putKeyResponse,
  putSigningKey,
  type StoredSigningKey,
} from './store.js';

/**
 * Other servers' signing keys (server-server "Retrieving server keys"): from the cache,
 * else from the server itself, else through the configured notaries
 * (trusted_key_servers); each answer checked, cached, and used only while valid.
 */

/** A public key of a server, and until when it may be used. */
export interface ServerVerifyKey {
  serverName: string;
  keyId: string;
  /** Unpadded base64 ed25519 public key. */
  key: string;
  /** The key may check signatures made up to this time (Infinity for this server's keys). */
  validUntilTs: number;
  /** Set when the server lists it among its old_verify_keys. */
  expiredTs: number | null;
}

/** No usable key: why, in words another server's admin can act on. */
export class ServerKeyError extends MatrixError {
  constructor(
    readonly serverName: string,
    readonly keyId: string,
    readonly reason: 'not_found' | 'expired' | 'unreachable',
    message: string,
  ) {
    super('M_UNAUTHORIZED', message, 401);
    this.name = 'ServerKeyError';
  }
}

/** How long a server whose keys could not be fetched is left alone. */
export const KEY_FETCH_BACKOFF_MS = 60_000;

interface FetcherState {
  /** serverName (or `direct serverName`) -> the fetch under way, shared by its callers. */
  inflight: Map<string, Promise<void>>;
  /** The same keys -> when a failed fetch may be retried, and why it failed. */
  failures: Map<string, { until: number; error: Error }>;
}

// Per context rather than a field of Ctx: only this module reads it, and it goes away
// with the context.
const STATES = new WeakMap<Ctx, FetcherState>();

function stateOf(ctx: Ctx): FetcherState {
  let st = STATES.get(ctx);
  if (!st) STATES.set(ctx, (st = { inflight: new Map(), failures: new Map() }));
  return st;
}

export interface KeyLookupOptions {
  /**
   * The key must be valid until at least this time (default: now). Event checks pass the
   * event's origin_server_ts in room versions that enforce key validity, 0 in the others.
   */
  minimumValidUntilTs?: number;
}

/**
 * The public key `keyId` of `serverName`, valid until `minimumValidUntilTs`: from the
 * cache, else fetched (directly, then through the notaries). A cached key that is no
 * longer valid enough is re-fetched. Throws ServerKeyError (401 M_UNAUTHORIZED) when the
 * server does not list the key, only a key that expired too early, or cannot be reached.
 */
export async function getServerVerifyKey(
  ctx: Ctx,
  serverName: string,
  keyId: string,
  opts: KeyLookupOptions = {},
): Promise<ServerVerifyKey> {
  const min = opts.minimumValidUntilTs ?? ctx.clock.now();
  if (serverName === ctx.config.serverName) return ownVerifyKey(ctx, keyId, min);
  const cached = await getSigningKey(ctx.db, serverName, keyId);
  if (cached && cached.validUntilTs >= min) return toVerifyKey(cached);
  let fetchError: Error | null = null;
  try {
    await refreshServerKeys(ctx, serverName, { keyId, minimumValidUntilTs: min });
  } catch (err) {
    fetchError = err as Error;
  }
  const found = await getSigningKey(ctx.db, serverName, keyId);
  if (found && found.validUntilTs >= min) return toVerifyKey(found);
  if (found) {
    throw new ServerKeyError(
      serverName,
      keyId,
      'expired',
      `Key ${keyId} of ${serverName} is valid only until ${iso(found.validUntilTs)}, ` +
        `not at ${iso(min)}` +
        (fetchError ? ` (refreshing it failed: ${fetchError.message})` : ''),
    );
  }
  if (fetchError) {
    throw new ServerKeyError(
      serverName,
      keyId,
      'unreachable',
      `Could not fetch the keys of ${serverName}: ${fetchError.message}`,
    );
  }
  throw new ServerKeyError(serverName, keyId, 'not_found', `${serverName} has no key ${keyId}`);
}

function toVerifyKey(k: StoredSigningKey): ServerVerifyKey {
  return {
    serverName: k.serverName,
    keyId: k.keyId,
    key: k.verifyKey,
    validUntilTs: k.validUntilTs,
    expiredTs: k.expiredTs,
  };
}

function ownVerifyKey(ctx: Ctx, keyId: string, min: number): ServerVerifyKey {
  const { config } = ctx;
  const current = config.signingKeys.find((k) => k.keyId === keyId);
  if (current) {
    return {
      serverName: config.serverName,
      keyId,
      key: current.publicKeyBase64,
      validUntilTs: Infinity,
      expiredTs: null,
    };
  }
  const old = config.oldSigningKeys[keyId];
  if (old && old.expiredTs >= min) {
    return {
      serverName: config.serverName,
      keyId,
      key: old.key,
      validUntilTs: old.expiredTs,
      expiredTs: old.expiredTs,
    };
  }
  throw new ServerKeyError(
    config.serverName,
    keyId,
    old ? 'expired' : 'not_found',
    old
      ? `Key ${keyId} of ${config.serverName} expired at ${iso(old.expiredTs)}`
      : `${config.serverName} has no key ${keyId}`,
  );
}

/**
 * Fetches and caches the keys of `serverName`: directly, then through each notary of
 * trusted_key_servers until one answers (or, with `want`, until the wanted key is known
 * and valid long enough). Concurrent calls for one server share one fetch; after a
 * failure the server is not asked again for KEY_FETCH_BACKOFF_MS, and calls fail at once
 * with the same error.
 */
export function refreshServerKeys(
  ctx: Ctx,
  serverName: string,
  want?: { keyId: string; minimumValidUntilTs: number },
): Promise<void> {
  return shared(ctx, serverName, () => fetchAndStore(ctx, serverName, want));
}

/**
 * Fetches and caches the keys of `serverName` from the server itself only (what a notary
 * does: it answers for the servers, not for other notaries), shared and backed off like
 * refreshServerKeys.
 */
export function refreshServerKeysDirectly(ctx: Ctx, serverName: string): Promise<void> {
  return shared(ctx, `direct ${serverName}`, async () => {
    if (!ctx.federation) throw new Error('federation is not set up on this server');
    await storeKeyResponse(ctx, await fetchDirect(ctx.federation, serverName), serverName);
  });
}

/** Runs `fetch` once for concurrent callers of one `key`, and remembers its failure. */
function shared(ctx: Ctx, key: string, fetch: () => Promise<void>): Promise<void> {
  const st = stateOf(ctx);
  const running = st.inflight.get(key);
  if (running) return running;
  const failed = st.failures.get(key);
  if (failed && failed.until > ctx.clock.now()) return Promise.reject(failed.error);
  const run = fetch()
    .then(
      () => {
        st.failures.delete(key);
      },
      (err: Error) => {
        st.failures.set(key, { until: ctx.clock.now() + KEY_FETCH_BACKOFF_MS, error: err });
        ctx.log.warn({ fetch: key, err: err.message }, 'fetching server keys failed');
        throw err;
      },
    )
    .finally(() => st.inflight.delete(key));
  st.inflight.set(key, run);
  return run;
}

async function fetchAndStore(
  ctx: Ctx,
  serverName: string,
  want: { keyId: string; minimumValidUntilTs: number } | undefined,
): Promise<void> {
  const client = ctx.federation;
  if (!client) throw new Error('federation is not set up on this server');
  const problems: string[] = [];
  let stored = false;
  try {
    await storeKeyResponse(ctx, await fetchDirect(client, serverName), serverName);
    stored = true;
    if (!want || (await satisfied(ctx, serverName, want))) return;
    problems.push(`${serverName} does not list ${want.keyId} as valid long enough`);
  } catch (err) {
    problems.push(`directly: ${(err as Error).message}`);
  }
  for (const notary of ctx.config.trustedKeyServers) {
    if (notary.serverName === serverName || notary.serverName === ctx.config.serverName) continue;
    try {
      const answer = await fetchViaNotary(client, notary, serverName);
      stored = (await storeKeyResponse(ctx, answer, notary.serverName)) || stored;
      if (!want || (await satisfied(ctx, serverName, want))) return;
    } catch (err) {
      problems.push(`through ${notary.serverName}: ${(err as Error).message}`);
    }
  }
  // Something was learnt: the caller reports what is missing from what is known.
  if (stored) return;
  throw new Error(problems.join('; '));
}

async function satisfied(
  ctx: Ctx,
  serverName: string,
  want: { keyId: string; minimumValidUntilTs: number },
): Promise<boolean> {
  const k = await getSigningKey(ctx.db, serverName, want.keyId);
  return k !== undefined && k.validUntilTs >= want.minimumValidUntilTs;
}

/**
 * Caches a checked answer: the answer itself (for the notary endpoints) and each key,
 * current keys valid until the answer's valid_until_ts capped at 7 days from now
 * (keys_server.yaml), old keys until their expired_ts. A notary's answer older than the
 * one cached (its stale copy) changes nothing. Returns whether it was stored.
 */
export async function storeKeyResponse(
  ctx: Ctx,
  answer: ParsedKeyResponse,
  fromServer: string,
): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.writer.transaction('store_server_keys', async (tx) => {
    const existing = await getKeyResponse(tx, answer.serverName);
    // The server's own answer is its current word, even valid for less time than before
    // (a shorter key_refresh_interval); a relayed one must not be older than what is known.
    const relayed = fromServer !== answer.serverName;
    if (relayed && existing && existing.validUntilTs > answer.validUntilTs) return false;
    await putKeyResponse(tx, {
      serverName: answer.serverName,
      fromServer,
      validUntilTs: answer.validUntilTs,
      fetchedTs: now,
      responseJson: JSON.stringify(answer.json),
    });
    const capped = Math.min(answer.validUntilTs, now + MAX_KEY_VALIDITY_MS);
    for (const [keyId, key] of Object.entries(answer.verifyKeys)) {
      await putSigningKey(tx, {
        serverName: answer.serverName,
        keyId,
        verifyKey: key,
        validUntilTs: capped,
        expiredTs: null,
        fetchedTs: now,
      });
    }
    for (const [keyId, old] of Object.entries(answer.oldVerifyKeys)) {
      if (answer.verifyKeys[keyId]) continue;
      await putSigningKey(tx, {
        serverName: answer.serverName,
        keyId,
        verifyKey: old.key,
        validUntilTs: old.expiredTs,
        expiredTs: old.expiredTs,
        fetchedTs: now,
      });
    }
    return true;
  });
}

function iso(ts: number): string {
  return Number.isFinite(ts) ? new Date(ts).toISOString() : 'forever';
}
