import type { Queryable } from '../../db/sql.js';

/** SQL for URL previews (migration 0026): `url_previews`, one row per fetch of a URL. */

export interface UrlPreviewRow {
  url: string;
  fetched_ts: number;
  expires_ts: number;
  og_json: string | null;
  error_status: number | null;
  error_errcode: string | null;
  error_message: string | null;
  media_id: string | null;
}

const COLUMNS = `url, fetched_ts, expires_ts, og_json, error_status, error_errcode, error_message,
  media_id`;

/**
 * The newest preview of `url` fetched at or before `ts` that was still valid at `ts`, or
 * undefined.
 */
export function getUrlPreviewAt(
  q: Queryable,
  url: string,
  ts: number,
): Promise<UrlPreviewRow | undefined> {
  return q.get<UrlPreviewRow>(
    `SELECT ${COLUMNS} FROM url_previews
     WHERE url = ? AND fetched_ts <= ? AND expires_ts > ?
     ORDER BY fetched_ts DESC LIMIT 1`,
    url,
    ts,
    ts,
  );
}

/** Records one fetch of a URL: its OpenGraph answer, or its failure. */
export async function insertUrlPreview(
  q: Queryable,
  p: {
    url: string;
    fetchedTs: number;
    expiresTs: number;
    og: Record<string, unknown> | null;
    error: { status: number; errcode: string; message: string } | null;
    mediaId: string | null;
  },
): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO url_previews (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    p.url,
    p.fetchedTs,
    p.expiresTs,
    p.og ? JSON.stringify(p.og) : null,
    p.error?.status ?? null,
    p.error?.errcode ?? null,
    p.error?.message ?? null,
    p.mediaId,
  );
}

/** Deletes previews that expired before `beforeTs`; returns how many. */
export async function deleteExpiredUrlPreviews(q: Queryable, beforeTs: number): Promise<number> {
  return (await q.run('DELETE FROM url_previews WHERE expires_ts < ?', beforeTs)).changes;
}
