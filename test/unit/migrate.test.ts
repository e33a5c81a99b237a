import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDb } from '../../server/db/sqlite.js';
import {
  SchemaTooNewError,
  currentSchema,
  latestSchemaVersion,
  listMigrations,
  migrate,
} from '../../server/db/migrate.js';

/** Forward-only migrations: any stepwise path ends at the schema a fresh database gets. */

const dir = mkdtempSync(join(tmpdir(), 'hearth-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const opened: SqliteDb[] = [];
function freshDb(): SqliteDb {
  const db = openSqlite(join(dir, `db-${n++}.db`));
  opened.push(db);
  return db;
}
afterAll(() => opened.forEach((db) => db.close()));

const schemaOf = (db: SqliteDb) =>
  db
    .prepare(
      "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();

const migrations = listMigrations();
const latest = latestSchemaVersion(migrations);
const fresh = freshDb();
const appliedFresh = migrate(fresh);

describe('migrations', () => {
  it('are numbered 1..latest without gaps', () => {
    expect(latest).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual(
      Array.from({ length: latest }, (_, i) => i + 1),
    );
    expect(appliedFresh).toEqual(migrations.map((m) => m.version));
    expect(currentSchema(fresh).version).toBe(latest);
  });

  it.each(Array.from({ length: latest }, (_, v) => [v]))(
    'from schema %i, migrating on gives the fresh schema',
    (v) => {
      const db = freshDb();
      expect(migrate(db, { upTo: v })).toEqual(
        migrations.filter((m) => m.version <= v).map((m) => m.version),
      );
      expect(currentSchema(db).version).toBe(v);
      migrate(db);
      expect(schemaOf(db)).toEqual(schemaOf(fresh));
      expect(currentSchema(db)).toEqual(currentSchema(fresh));
    },
  );

  it('is idempotent', () => {
    const db = freshDb();
    migrate(db);
    const before = schemaOf(db);
    const applied: number[] = [];
    expect(migrate(db, { onApply: (m) => applied.push(m.version) })).toEqual([]);
    expect(applied).toEqual([]);
    expect(schemaOf(db)).toEqual(before);
  });

  it('reports each migration it applies', () => {
    const names: string[] = [];
    migrate(freshDb(), { onApply: (m) => names.push(m.name) });
    expect(names).toEqual(migrations.map((m) => m.name));
  });

  it('refuses a database written by a newer Hearth', () => {
    const db = freshDb();
    migrate(db);
    db.prepare('UPDATE schema_version SET version = ?, compat_version = ?').run(
      latest + 5,
      latest + 1,
    );
    let error: unknown;
    try {
      migrate(db);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    const message = (error as Error).message;
    expect(message).toContain(String(latest + 5));
    expect(message).toContain(String(latest));
    expect(message).toMatch(/Upgrade Hearth/);
    expect(message).toMatch(/backup/);
    // nothing was changed
    expect(currentSchema(db)).toEqual({ version: latest + 5, compatVersion: latest + 1 });
  });

  it('runs on a database a newer but compatible Hearth wrote', () => {
    const db = freshDb();
    migrate(db);
    db.prepare('UPDATE schema_version SET version = ?, compat_version = ?').run(latest + 3, latest);
    expect(migrate(db)).toEqual([]);
  });

  const broken = [
    { version: 1, name: 'good', sql: 'CREATE TABLE a (x INTEGER);' },
    { version: 2, name: 'also_good', sql: 'CREATE TABLE c (z INTEGER);' },
    {
      version: 3,
      name: 'bad',
      sql: 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);',
    },
  ];
  const tables = (db: ReturnType<typeof freshDb>) =>
    schemaOf(db).map((r) => (r as { name: string }).name);

  it('upgrading, rolls back the migration that fails and keeps the ones before it', () => {
    const db = freshDb();
    expect(migrate(db, { migrations: broken, upTo: 1 })).toEqual([1]);
    expect(() => migrate(db, { migrations: broken })).toThrow(/nowhere/);
    expect(currentSchema(db).version).toBe(2);
    expect(tables(db)).toEqual(['a', 'c', 'schema_version']);
  });

  it('on a fresh database, applies all in one transaction: one that fails leaves nothing', () => {
    const db = freshDb();
    expect(() => migrate(db, { migrations: broken })).toThrow(/nowhere/);
    expect(currentSchema(db).version).toBe(0);
    expect(tables(db)).toEqual(['schema_version']);
    const ok = broken.slice(0, 2);
    expect(migrate(db, { migrations: ok })).toEqual([1, 2]);
    expect(currentSchema(db).version).toBe(2);
    expect(tables(db)).toEqual(['a', 'c', 'schema_version']);
  });
});
