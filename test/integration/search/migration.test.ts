import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../server/db/migrate.js';
import { openSqlite, type SqliteDb } from '../../../server/db/sqlite.js';

/**
 * Migration 0010 on a database that already holds events: their searchable text is indexed,
 * and from then on the index follows redactions and deletions of events.
 */

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function insertEvent(
  db: SqliteDb,
  n: number,
  type: string,
  content: unknown,
  extra: { redactedBy?: string; rejected?: string; outlier?: boolean } = {},
): void {
  const eventId = `$e${n}`;
  db.prepare(
    `INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth,
       origin_server_ts, outlier, rejected_reason, redacted_by, state_group)
     VALUES (?, ?, '!r:test.local', ?, NULL, '@a:test.local', ?, 0, ?, ?, ?, NULL)`,
  ).run(
    n,
    eventId,
    type,
    n,
    extra.outlier ? 1 : 0,
    extra.rejected ?? null,
    extra.redactedBy ?? null,
  );
  db.prepare('INSERT INTO event_json (event_id, json) VALUES (?, ?)').run(
    eventId,
    JSON.stringify({ type, content }),
  );
}

const matches = (db: SqliteDb, word: string): number[] =>
  (
    db
      .prepare('SELECT rowid FROM event_search WHERE event_search MATCH ? ORDER BY rowid')
      .all(`"${word}"`) as { rowid: number }[]
  ).map((r) => r.rowid);

describe('migration 0010_search', () => {
  it('indexes the events already stored, and then follows redactions and deletions', () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-search-migration-'));
    const db = openSqlite(join(dir, 'homeserver.db'));
    migrate(db, { upTo: 9 });
    insertEvent(db, 1, 'm.room.message', { body: 'old apple' });
    insertEvent(db, 2, 'm.room.name', { name: 'apple room' });
    insertEvent(db, 3, 'm.room.topic', { topic: 'apple topic' });
    insertEvent(db, 4, 'm.room.message', { body: 7 });
    insertEvent(db, 5, 'm.room.member', { displayname: 'apple' });
    insertEvent(db, 6, 'm.room.message', { body: 'apple' }, { redactedBy: '$x' });
    insertEvent(db, 7, 'm.room.message', { body: 'apple' }, { rejected: 'auth' });
    insertEvent(db, 8, 'm.room.message', { body: 'apple' }, { outlier: true });
    insertEvent(db, 9, 'm.room.message', { body: 'apple pie' });
    migrate(db, { upTo: 10 });
    expect(matches(db, 'apple')).toEqual([1, 2, 3, 9]);
    db.prepare("UPDATE events SET redacted_by = '$r' WHERE stream_ordering = 1").run();
    expect(matches(db, 'apple')).toEqual([2, 3, 9]);
    db.prepare('DELETE FROM events WHERE stream_ordering = 9').run();
    expect(matches(db, 'apple')).toEqual([2, 3]);
    db.close();
  });
});
