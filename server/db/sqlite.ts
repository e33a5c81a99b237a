import Database from 'better-sqlite3';
import type { Queryable, RunResult, SqlValue } from './sql.js';
import { deleteOldest } from '../core/map-order.js';

export type SqliteDb = Database.Database;

/**
 * Opens one SQLite connection with the pragmas Hearth relies on: WAL (readers never wait
 * for the writer), foreign keys on, a busy timeout as a safety net, and FULL sync on a
 * connection that writes: every commit is fsynced. The writer (writer.ts) then takes the
 * fsync over for its WAL connection: it commits with NORMAL and fsyncs the WAL itself, off
 * the event loop, before it answers a batch — the same guarantee (an answered write
 * survives a power cut), one fsync per batch of grouped units, not per event.
 */
export function openSqlite(path: string, opts: { readonly?: boolean } = {}): SqliteDb {
  const db = new Database(path, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
  });
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma(opts.readonly ? 'synchronous = NORMAL' : 'synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // Savepoint journals and temporary b-trees in memory: the writer runs each unit of a
  // group commit in a savepoint, and with the default (a temporary file) every page a unit
  // first touches was also written to that file, doubling the cost of each insert.
  db.pragma('temp_store = MEMORY');
  return db;
}

/** The most prepared statements one connection keeps (the oldest prepared is dropped). */
const MAX_CACHED_STATEMENTS = 1000;

/** A Queryable over a better-sqlite3 connection, with each statement prepared once. */
export function sqliteQueryable(
  db: SqliteDb,
): Queryable & { statement(sql: string): Database.Statement } {
  const statements = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) {
      // Bounded: SQL built with a variable number of placeholders (IN lists) would
      // otherwise prepare and keep a statement per length for the life of the process.
      if (statements.size >= MAX_CACHED_STATEMENTS) {
        deleteOldest(statements);
      }
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  return {
    statement,
    get: async <T>(sql: string, ...params: SqlValue[]) =>
      statement(sql).get(...params) as T | undefined,
    all: async <T>(sql: string, ...params: SqlValue[]) => statement(sql).all(...params) as T[],
    run: async (sql: string, ...params: SqlValue[]): Promise<RunResult> => {
      const r = statement(sql).run(...params);
      return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
    },
  };
}
