import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { defaultFilter, parseFilter, parseFilterParam, type Filter } from './filter.js';
import * as store from './filters-store.js';

/**
 * Stored filters (client-server API, "Filtering": `POST /user/{userId}/filter`,
 * `GET /user/{userId}/filter/{filterId}`) and the `filter` parameter of /sync.
 */

/** Checks and stores a filter for the requester; only their own user id may be named. */
export async function uploadFilter(
  ctx: Ctx,
  requester: Requester,
  userId: string,
  body: unknown,
): Promise<{ filter_id: string }> {
  if (userId !== requester.userId) throw errors.forbidden('Cannot create filters for other users');
  parseFilter(body, 'body');
  const json = JSON.stringify(body);
  const id = await ctx.writer.transaction('insert_user_filter', (tx) =>
    store.insertUserFilter(tx, userId, json),
  );
  return { filter_id: String(id) };
}

/** A stored filter as it was uploaded. 404 M_NOT_FOUND for another user's or an unknown id. */
export async function downloadFilter(
  ctx: Ctx,
  requester: Requester,
  userId: string,
  filterId: string,
): Promise<Record<string, unknown>> {
  if (userId !== requester.userId) throw errors.forbidden('Cannot read filters of other users');
  const json = await loadFilterJson(ctx, userId, filterId);
  if (json === undefined) throw errors.notFound('No such filter');
  return JSON.parse(json) as Record<string, unknown>;
}

/**
 * The filter a /sync request asks for: none (the default), inline JSON, or a stored id.
 * @throws MatrixError 400 for bad inline JSON, 404 M_NOT_FOUND for an unknown filter id.
 */
export async function resolveFilterParam(
  ctx: Ctx,
  userId: string,
  raw: string | undefined,
): Promise<Filter> {
  if (raw === undefined || raw === '') return defaultFilter();
  const param = parseFilterParam(raw);
  if (param.kind === 'inline') return param.filter;
  const json = await loadFilterJson(ctx, userId, param.filterId);
  if (json === undefined) throw errors.notFound(`No such filter: ${param.filterId}`);
  return parseFilter(JSON.parse(json), 'body');
}

async function loadFilterJson(
  ctx: Ctx,
  userId: string,
  filterId: string,
): Promise<string | undefined> {
  if (!/^(0|[1-9]\d{0,15})$/.test(filterId)) return undefined;
  return store.getUserFilter(ctx.db, userId, Number(filterId));
}
