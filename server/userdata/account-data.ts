import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { positionAtCommit } from '../sync/stream-positions.js';
import { errors, MatrixError } from '../core/errors.js';
import type { Tx } from '../db/sql.js';
import * as store from './store.js';

/**
 * Account data (spec: client-server API, "Client Config"): JSON objects a user keeps for
 * themselves, global or per room, delivered through /sync. Tags (`m.tag`) and the fully
 * read marker (`m.fully_read`) are per-room account data written by their own endpoints.
 */

export type Content = Record<string, unknown>;

/**
 * Types the server manages; clients read them as normal but may not set them (spec,
 * "Client Config — Server Behaviour", v1.10: 405 M_BAD_JSON, global and per room alike).
 */
const SERVER_MANAGED = new Set(['m.fully_read', 'm.push_rules']);

/** Throws 403 unless the requester acts on their own account data. */
export function assertOwnUser(requester: Requester, userId: string, what: string): void {
  if (requester.userId !== userId) throw errors.forbidden(`Cannot ${what} for other users`);
}

/**
 * PUT /user/{userId}/account_data/{type} and /user/{userId}/rooms/{roomId}/account_data/{type}
 * (`roomId` null for global). 403 for another user; 405 M_BAD_JSON for a type the server
 * manages. The room needs no membership: a client may keep data about a room it left or
 * is invited to (as Synapse).
 */
export async function putAccountData(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; roomId: string | null; type: string; content: Content },
): Promise<Record<string, never>> {
  assertOwnUser(requester, a.userId, 'add account data');
  if (SERVER_MANAGED.has(a.type)) {
    throw new MatrixError('M_BAD_JSON', `Cannot set ${a.type} through this API`, 405);
  }
  await updateAccountData(
    ctx,
    { userId: a.userId, roomId: a.roomId ?? store.GLOBAL, type: a.type },
    async () => a.content,
  );
  return {};
}

/** GET of the same paths: the content, or 404 M_NOT_FOUND when never set. */
export async function getAccountData(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; roomId: string | null; type: string },
): Promise<Content> {
  assertOwnUser(requester, a.userId, 'get account data');
  const json = await store.getAccountData(ctx.db, a.userId, a.roomId ?? store.GLOBAL, a.type);
  if (json === undefined) {
    throw errors.notFound(
      a.roomId === null ? 'Account data not found' : 'Room account data not found',
    );
  }
  return JSON.parse(json) as Content;
}

/** One account data entry's content, if set (for the domains that build on it). */
export async function readAccountData(
  ctx: Ctx,
  k: { userId: string; roomId: string; type: string },
): Promise<Content | undefined> {
  const json = await store.getAccountData(ctx.db, k.userId, k.roomId, k.type);
  return json === undefined ? undefined : (JSON.parse(json) as Content);
}

/**
 * Read-modify-write of one entry in one writer unit, so concurrent updates (two tags put
 * at once) never lose each other. `next` gets the current content and returns the new
 * one, or null to leave it as it is. Wakes the user's /sync after the commit. Returns
 * whether anything was written. No checks: callers guard first.
 */
export function updateAccountData(
  ctx: Ctx,
  k: { userId: string; roomId: string; type: string },
  next: (current: Content | undefined, tx: Tx) => Promise<Content | null>,
): Promise<boolean> {
  return ctx.writer.transaction('set_account_data', async (tx) => {
    const json = await store.getAccountData(tx, k.userId, k.roomId, k.type);
    const content = await next(json === undefined ? undefined : (JSON.parse(json) as Content), tx);
    if (content === null) return false;
    await store.setAccountData(tx, { ...k, contentJson: JSON.stringify(content) });
    tx.afterCommit(() => ctx.notifier.notify([k.userId]));
    return true;
  });
}

export interface AccountDataEvent {
  type: string;
  content: Content;
}

export interface AccountDataDelta {
  /** The stream position the delta reaches: the next /sync token's account_data part. */
  streamId: number;
  global: AccountDataEvent[];
  /** Per-room account data by room id (tags arrive here as `m.tag`). */
  rooms: Record<string, AccountDataEvent[]>;
}

/**
 * The newest position of the account-data stream, read once per commit and shared by the
 * /sync passes until the next (sync/stream-positions.ts).
 */
export function accountDataPosition(ctx: Ctx): Promise<number> {
  return positionAtCommit(ctx, 'account_data', () => store.getAccountDataStreamId(ctx.db));
}

/**
 * What changed in a user's account data after stream position `since` (0: everything),
 * for /sync. Each type appears once, with its latest content.
 */
export async function getAccountDataSince(
  ctx: Ctx,
  userId: string,
  since: number,
): Promise<AccountDataDelta> {
  // Read the position first: a write landing meanwhile comes in the next delta, not twice.
  const streamId = await accountDataPosition(ctx);
  // A token already at the stream's end has nothing after it: skip the read.
  const rows =
    since >= streamId ? [] : await store.getAccountDataChanges(ctx.db, userId, since, streamId);
  const delta: AccountDataDelta = { streamId, global: [], rooms: {} };
  for (const r of rows) {
    const ev = { type: r.type, content: JSON.parse(r.content_json) as Content };
    if (r.room_id === store.GLOBAL) delta.global.push(ev);
    else (delta.rooms[r.room_id] ??= []).push(ev);
  }
  return delta;
}
