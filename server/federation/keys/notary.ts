import type { Ctx } from '../../context.js';
import { isValidServerName } from '../../core/ids.js';
import { refreshServerKeysDirectly } from './fetch.js';
import { coSign, ownKeyResponse } from './own-keys.js';
import { getKeyResponse, type StoredKeyResponse } from './store.js';
import { isObject } from '../../core/is-object.js';

/**
 * The notary side of key exchange (keys_query.yaml): this server answers for other
 * servers' keys from its cache, fetching directly what is missing or stale, and co-signs
 * every answer it returns.
 */

/** What a requester asks of one server: key ids (none: all) and how long they must last. */
export interface NotaryCriteria {
  keyIds: string[];
  /** keys_query.yaml: "If not supplied, the notary server MUST use the current time." */
  minimumValidUntilTs?: number;
}

/** The most servers one POST /query may ask about (each may cost a fetch). */
export const MAX_NOTARY_SERVERS = 100;

/**
 * The `server_keys` list answering for each server of `query`: the server's own signed
 * answer, co-signed by this server. Servers that are unreachable and not cached are
 * left out (keys_query.yaml: "an empty array if the server could not be reached and no
 * cached keys were available").
 */
export async function queryServerKeys(
  ctx: Ctx,
  query: Map<string, NotaryCriteria>,
): Promise<Record<string, unknown>[]> {
  const answers = await Promise.all(
    [...query].map(([serverName, criteria]) => answerFor(ctx, serverName, criteria)),
  );
  return answers.filter((a): a is Record<string, unknown> => a !== null);
}

async function answerFor(
  ctx: Ctx,
  serverName: string,
  criteria: NotaryCriteria,
): Promise<Record<string, unknown> | null> {
  if (serverName === ctx.config.serverName) return ownKeyResponse(ctx);
  if (!isValidServerName(serverName)) return null;
  let cached = await getKeyResponse(ctx.db, serverName);
  if (!cached || isStale(ctx, cached, criteria)) {
    try {
      await refreshServerKeysDirectly(ctx, serverName);
      cached = await getKeyResponse(ctx.db, serverName);
    } catch {
      // Logged by the fetch. keys_server.yaml: a notary keeps answering with the last
      // answer it received.
    }
  }
  if (!cached) return null;
  return coSign(ctx, JSON.parse(cached.responseJson) as Record<string, unknown>);
}

/**
 * Whether a cached answer must be re-fetched: it does not last until the requested time,
 * lacks a requested key, or is past half its lifetime (keys_server.yaml: "Intermediate
 * notary servers should cache a response for half of its lifetime").
 */
function isStale(ctx: Ctx, cached: StoredKeyResponse, criteria: NotaryCriteria): boolean {
  const now = ctx.clock.now();
  if (cached.validUntilTs < (criteria.minimumValidUntilTs ?? now)) return true;
  if (now > cached.fetchedTs + (cached.validUntilTs - cached.fetchedTs) / 2) return true;
  if (!criteria.keyIds.length) return false;
  const json = JSON.parse(cached.responseJson) as Record<string, unknown>;
  const listed = new Set([
    ...Object.keys(isObject(json.verify_keys) ? json.verify_keys : {}),
    ...Object.keys(isObject(json.old_verify_keys) ? json.old_verify_keys : {}),
  ]);
  return criteria.keyIds.some((k) => !listed.has(k));
}
