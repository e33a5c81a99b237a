import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Ctx } from '../context.js';
import { packageRoot } from '../paths.js';
import { logRingOf } from './log-ring.js';
import * as store from './status-store.js';

let version: string | undefined;

/** Hearth's version, from package.json (read once). */
export function serverVersion(): string {
  version ??= (
    JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
  return version;
}

/** A file's size, 0 when it does not exist (no WAL file between checkpoints). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The server's figures for the admin views. The server runs in a process of its own (the
 * desktop app's utility process, or `hearth serve`), so the process's start is the
 * server's start.
 */
export async function serverStatus(ctx: Ctx): Promise<Record<string, number | string>> {
  const startedTs = Math.round(performance.timeOrigin);
  const mem = process.memoryUsage();
  const db = ctx.config.database;
  const dbBytes = db.engine === 'sqlite' ? fileBytes(db.path) + fileBytes(`${db.path}-wal`) : 0;
  const counts = await store.countServerContents(ctx.db);
  return {
    server_version: serverVersion(),
    started_ts: startedTs,
    uptime_ms: Math.max(0, Date.now() - startedTs),
    rss_bytes: mem.rss,
    heap_used_bytes: mem.heapUsed,
    database_bytes: dbBytes,
    media_bytes: counts.mediaBytes,
    users: counts.users,
    rooms: counts.rooms,
    events: counts.events,
  };
}

/** The newest `limit` log lines (oldest first); none when the logger keeps no tail. */
export function logTail(ctx: Ctx, limit: number): Record<string, unknown>[] {
  return logRingOf(ctx.log)?.tail(limit) ?? [];
}
