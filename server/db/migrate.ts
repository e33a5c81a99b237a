import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { SqliteDb } from './sqlite.js';

/**
 * Forward-only schema migrations, applied at start: on an existing database each in its own
 * transaction (an upgrade that fails keeps the migrations before the failing one); on a
 * fresh one all in a single transaction, one commit and so one fsync instead of one per
 * migration (28 of them when measured: 15–25 ms of a first start on this machine's disk, more on a
 * laptop's), and a first start that fails leaves no half-made schema.
 *
 * Files are `migrations/NNNN_what.sql`; NNNN is the schema version the file brings the
 * database to. The database records its version and a compat version: the oldest schema
 * version of Hearth code that can still run on it. Code whose newest version is below a
 * database's compat version refuses to start, so an older Hearth never damages data that
 * a newer one wrote.
 */

/**
 * Raise when a migration makes older code unable to use the database. 30: event JSON is
 * keyed by stream position (0030), and older code reads and writes it by event id. (28:
 * client transaction ids moved to client_txns and the events' own rows; older code would
 * fail to record them and drop `unsigned.transaction_id` from /sync.)
 */
export const SCHEMA_COMPAT_VERSION = 30;

export const MIGRATIONS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: readFileSync(join(dir, f), 'utf8'),
    }));
}

export function latestSchemaVersion(migrations = listMigrations()): number {
  return migrations.at(-1)?.version ?? 0;
}

export function currentSchema(db: SqliteDb): { version: number; compatVersion: number } {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, compat_version INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT version, compat_version FROM schema_version').get() as
    { version: number; compat_version: number } | undefined;
  return { version: row?.version ?? 0, compatVersion: row?.compat_version ?? 0 };
}

/**
 * Brings `db` up to `upTo` (default: the newest migration). Returns the versions applied.
 * Throws SchemaTooNewError when the database was written by a Hearth this code cannot follow.
 */
export function migrate(
  db: SqliteDb,
  opts: { upTo?: number; migrations?: Migration[]; onApply?: (m: Migration) => void } = {},
): number[] {
  const migrations = opts.migrations ?? listMigrations();
  const latest = latestSchemaVersion(migrations);
  const target = opts.upTo ?? latest;
  const { version, compatVersion } = currentSchema(db);
  if (compatVersion > latest) {
    throw new SchemaTooNewError(
      `the database is at schema version ${version} and needs Hearth code of schema ${compatVersion} ` +
        `or newer; this Hearth knows schema ${latest}. Upgrade Hearth, or restore a backup made by this version.`,
    );
  }
  const pending = migrations.filter((m) => m.version > version && m.version <= target);
  const groups = version === 0 ? [pending] : pending.map((m) => [m]);
  const applied: number[] = [];
  for (const group of groups) {
    const last = group.at(-1);
    if (!last) continue;
    db.transaction(() => {
      for (const m of group) db.exec(m.sql);
      db.exec('DELETE FROM schema_version');
      db.prepare('INSERT INTO schema_version (version, compat_version) VALUES (?, ?)').run(
        last.version,
        Math.min(SCHEMA_COMPAT_VERSION, last.version),
      );
    })();
    for (const m of group) {
      opts.onApply?.(m);
      applied.push(m.version);
    }
  }
  return applied;
}
