import { hash } from 'node:crypto';
import { encodeBase64Url } from '../core/base64.js';
import { MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import type { Requester } from './requester.js';
import * as store from './store.js';

/**
 * Access and refresh tokens. Tokens are random and shown to the client once; the database
 * keeps only their SHA-256, so a leaked database does not leak sessions. Looking a token up
 * by its hash needs no constant-time comparison: an attacker cannot steer the hash.
 */

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export interface IssuedTokens {
  accessToken: string;
  /** Set when the client asked for refresh tokens. */
  refreshToken?: string;
  expiresInMs?: number;
}

/** Creates an access token (and a refresh token when asked) for a device, inside `tx`. */
export async function issueTokens(
  ctx: Ctx,
  tx: Tx,
  args: { userId: string; deviceId: string; refreshable: boolean },
): Promise<IssuedTokens & { refreshTokenId: number | null }> {
  const now = ctx.clock.now();
  const { userId, deviceId } = args;
  let refresh: { token: string; id: number } | null = null;
  if (args.refreshable) {
    const token = `hrt_${encodeBase64Url(ctx.random.bytes(32))}`;
    const lifetime = ctx.config.refreshTokenLifetimeMs;
    const id = await store.insertRefreshToken(tx, {
      tokenHash: hashToken(token),
      userId,
      deviceId,
      createdTs: now,
      expiryTs: lifetime ? now + lifetime : null,
    });
    refresh = { token, id };
  }
  const accessToken = `hat_${encodeBase64Url(ctx.random.bytes(32))}`;
  const lifetime = args.refreshable
    ? ctx.config.refreshableAccessTokenLifetimeMs
    : ctx.config.nonrefreshableAccessTokenLifetimeMs;
  await store.insertAccessToken(tx, {
    tokenHash: hashToken(accessToken),
    userId,
    deviceId,
    createdTs: now,
    validUntilMs: lifetime ? now + lifetime : null,
    refreshTokenId: refresh?.id ?? null,
  });
  return {
    accessToken,
    refreshTokenId: refresh?.id ?? null,
    ...(refresh ? { refreshToken: refresh.token } : {}),
    ...(lifetime ? { expiresInMs: lifetime } : {}),
  };
}

/**
 * Deletes the refresh token that `refreshTokenId` replaced, with its access tokens: the
 * first use of a new pair ends the old one (spec: the old refresh token "remains valid
 * until the new access token or refresh token is used").
 */
async function revokePredecessor(ctx: Ctx, tx: Tx, refreshTokenId: number): Promise<void> {
  const dead = await store.listAccessTokenHashesOfPredecessor(tx, refreshTokenId);
  await store.deletePredecessorRefreshToken(tx, refreshTokenId);
  tx.afterCommit(() => forgetTokens(ctx, dead));
}

function unknownToken(softLogout: boolean, msg = 'Unknown access token'): MatrixError {
  return new MatrixError('M_UNKNOWN_TOKEN', msg, 401, { soft_logout: softLogout });
}

/**
 * Resolves an access token to its requester. Throws 401 M_UNKNOWN_TOKEN, with
 * soft_logout: true when the token has merely expired (the client may refresh or re-login
 * keeping its device).
 */
export async function authenticateAccessToken(ctx: Ctx, token: string): Promise<Requester> {
  const tokenHash = hashToken(token);
  let requester = ctx.caches.accessTokens.get(tokenHash);
  if (!requester) {
    const row = await store.getAccessToken(ctx.db, tokenHash);
    if (!row) throw unknownToken(false);
    requester = {
      userId: row.user_id,
      deviceId: row.device_id,
      tokenId: row.id,
      isAdmin: row.admin === 1,
      isGuest: row.is_guest === 1,
      validUntilMs: row.valid_until_ms,
      refreshTokenId: row.refresh_token_id,
      used: row.used === 1,
    };
    ctx.caches.accessTokens.set(tokenHash, requester);
  }
  if (requester.validUntilMs !== null && requester.validUntilMs <= ctx.clock.now()) {
    throw unknownToken(true, 'Access token has expired');
  }
  if (!requester.used && requester.refreshTokenId !== null) {
    // First use of a token issued with a refresh token: the pair it replaced dies now.
    const { tokenId, refreshTokenId } = requester;
    await ctx.writer.transaction('mark_access_token_used', async (tx) => {
      await store.markAccessTokenUsed(tx, tokenId);
      await revokePredecessor(ctx, tx, refreshTokenId);
    });
    requester = { ...requester, used: true };
    ctx.caches.accessTokens.set(tokenHash, requester);
  }
  return requester;
}

/**
 * Exchanges a refresh token for a new access token and refresh token (POST /refresh).
 * The old refresh token stays valid until the new pair is used, so a lost response can be
 * retried; once replaced and used, presenting it again fails.
 */
export async function refreshTokens(
  ctx: Ctx,
  refreshToken: string,
): Promise<Required<IssuedTokens>> {
  const tokenHash = hashToken(refreshToken);
  return ctx.writer.transaction('refresh_access_token', async (tx) => {
    const row = await store.getRefreshToken(tx, tokenHash);
    if (!row) throw unknownToken(false, 'Unknown refresh token');
    if (row.expiry_ts !== null && row.expiry_ts <= ctx.clock.now()) {
      throw unknownToken(false, 'The refresh token has expired');
    }
    const issued = await issueTokens(ctx, tx, {
      userId: row.user_id,
      deviceId: row.device_id,
      refreshable: true,
    });
    if (row.next_token_id !== null) {
      // Refreshed before, but that pair was never used: it is replaced by this one.
      const dead = await store.listAccessTokenHashesOfRefreshToken(tx, row.next_token_id);
      await store.deleteRefreshToken(tx, row.next_token_id);
      tx.afterCommit(() => forgetTokens(ctx, dead));
    }
    // Presenting this refresh token is a use of the pair it came in.
    await revokePredecessor(ctx, tx, row.id);
    await store.setNextRefreshToken(tx, row.id, issued.refreshTokenId!);
    return issued as Required<IssuedTokens>;
  });
}

/** Drops cached requesters for these token hashes (after logout, deletion, deactivation). */
export function forgetTokens(ctx: Ctx, tokenHashes: string[]): void {
  for (const h of tokenHashes) ctx.caches.accessTokens.delete(h);
}
