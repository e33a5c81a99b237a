/**
 * The query surface store functions use. It is awaited, so a PostgreSQL implementation can
 * follow without touching domain code; placeholders are positional `?` (a PostgreSQL
 * adapter rewrites them to $n). Both the read connection and a write transaction offer it.
 */
export type SqlValue = string | number | bigint | Buffer | null;

export interface RunResult {
  changes: number;
  lastInsertRowid: number;
}

export interface Queryable {
  get<T>(sql: string, ...params: SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, ...params: SqlValue[]): Promise<T[]>;
  run(sql: string, ...params: SqlValue[]): Promise<RunResult>;
}

/** A write transaction: queries on the writer's connection, and work to do after commit. */
export interface Tx extends Queryable {
  /** Runs `fn` once the transaction holding this unit has committed (never on rollback). */
  afterCommit(fn: () => void): void;
  /**
   * Runs `fn` right after the COMMIT that holds this unit, in the same synchronous step
   * (before the commit is durable, before any other code runs; never on rollback): for an
   * in-memory mirror of rows that readers must never see out of step with the database,
   * since they see the rows from this moment. Must be quick and must not throw.
   */
  onCommit(fn: () => void): void;
}
