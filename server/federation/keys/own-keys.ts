import type { Ctx } from '../../context.js';
import { signJson } from '../../core/signing.js';

/**
 * This server's own key answer (keys_server.yaml): the current keys from the signing key
 * file, the former ones from homeserver.yaml's old_signing_keys, valid for
 * key_refresh_interval, and signed by every current key (other servers check a signature
 * by each key the answer lists).
 */
export function ownKeyResponse(ctx: Ctx): Record<string, unknown> {
  const { config } = ctx;
  const answer: Record<string, unknown> = {
    server_name: config.serverName,
    verify_keys: Object.fromEntries(
      config.signingKeys.map((k) => [k.keyId, { key: k.publicKeyBase64 }]),
    ),
    old_verify_keys: Object.fromEntries(
      Object.entries(config.oldSigningKeys).map(([id, k]) => [
        id,
        { key: k.key, expired_ts: k.expiredTs },
      ]),
    ),
    valid_until_ts: ctx.clock.now() + config.keyRefreshIntervalMs,
  };
  let signed = answer;
  for (const key of config.signingKeys) signed = signJson(signed, config.serverName, key);
  return signed;
}

/**
 * Adds this server's signatures (one per current key, as Synapse's notary signs) to
 * `json`, keeping the signatures already on it (keys_query.yaml: the notary signs the
 * keys it returns).
 */
export function coSign(ctx: Ctx, json: Record<string, unknown>): Record<string, unknown> {
  let signed = json;
  for (const key of ctx.config.signingKeys) signed = signJson(signed, ctx.config.serverName, key);
  return signed;
}
