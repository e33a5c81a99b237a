import type { Queryable } from '../../db/sql.js';

/**
 * SQL for thumbnails (migration 0025): `media_thumbnail_sources` (what is known of each
 * content) and `media_thumbnails` (the thumbnail files), both keyed by the content's sha256.
 */

export interface ThumbnailSourceRow {
  sha256: string;
  format: string | null;
  width: number | null;
  height: number | null;
  pages: number | null;
  failure: string | null;
  checked_ts: number;
}

export interface ThumbnailRow {
  sha256: string;
  method: string;
  width: number;
  height: number;
  animated: number;
  content_type: string;
  length: number;
  pregenerated: number;
  created_ts: number;
}

/** What is known of a content, or undefined when it was never looked at. */
export function getThumbnailSource(
  q: Queryable,
  sha256: string,
): Promise<ThumbnailSourceRow | undefined> {
  return q.get<ThumbnailSourceRow>(
    `SELECT sha256, format, width, height, pages, failure, checked_ts
     FROM media_thumbnail_sources WHERE sha256 = ?`,
    sha256,
  );
}

/** Records (or replaces) what is known of a content. */
export async function setThumbnailSource(
  q: Queryable,
  s: {
    sha256: string;
    format: string | null;
    width: number | null;
    height: number | null;
    pages: number | null;
    failure: string | null;
    ts: number;
  },
): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO media_thumbnail_sources
       (sha256, format, width, height, pages, failure, checked_ts)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    s.sha256,
    s.format,
    s.width,
    s.height,
    s.pages,
    s.failure,
    s.ts,
  );
}

/** The thumbnails of a content, still or animated. */
export function getThumbnails(
  q: Queryable,
  sha256: string,
  animated: boolean,
): Promise<ThumbnailRow[]> {
  return q.all<ThumbnailRow>(
    `SELECT sha256, method, width, height, animated, content_type, length, pregenerated, created_ts
     FROM media_thumbnails WHERE sha256 = ? AND animated = ? ORDER BY created_ts, rowid`,
    sha256,
    animated ? 1 : 0,
  );
}

/** Adds a thumbnail whose file is in place (a second one of the same key is ignored). */
export async function insertThumbnail(
  q: Queryable,
  t: {
    sha256: string;
    method: string;
    width: number;
    height: number;
    animated: boolean;
    contentType: string;
    length: number;
    pregenerated: boolean;
    ts: number;
  },
): Promise<void> {
  await q.run(
    `INSERT OR IGNORE INTO media_thumbnails
       (sha256, method, width, height, animated, content_type, length, pregenerated, created_ts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    t.sha256,
    t.method,
    t.width,
    t.height,
    t.animated ? 1 : 0,
    t.contentType,
    t.length,
    t.pregenerated ? 1 : 0,
    t.ts,
  );
}

/** Forgets every thumbnail and the source record of a content. */
export async function deleteThumbnailsOfContent(q: Queryable, sha256: string): Promise<void> {
  await q.run('DELETE FROM media_thumbnails WHERE sha256 = ?', sha256);
  await q.run('DELETE FROM media_thumbnail_sources WHERE sha256 = ?', sha256);
}
