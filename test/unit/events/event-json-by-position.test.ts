import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../server/db/migrate.js';
import { openSqlite, sqliteQueryable, type SqliteDb } from '../../../server/db/sqlite.js';
import * as store from '../../../server/events/store.js';

/**
 * Migration 0030: event JSON keyed by the event's stream position, with no index of its
 * own; read by id through the event_json_by_id view (the events table's id index).
 */

const dir = mkdtempSync(join(tmpdir(), 'hearth-event-json-'));
const dbs: SqliteDb[] = [];
afterAll(() => {
  dbs.forEach((db) => db.close());
  rmSync(dir, { recursive: true, force: true });
});

function insertOld(db: SqliteDb, so: number, eventId: string, roomId: string, withRow = true) {
  if (withRow) {
    db.prepare(
      `INSERT INTO events (stream_ordering, event_id, room_id, type, sender, depth, origin_server_ts)
       VALUES (?, ?, ?, 'm.room.message', '@a:x', 1, 0)`,
    ).run(so, eventId, roomId);
  }
  db.prepare('INSERT INTO event_json (event_id, json) VALUES (?, ?)').run(
    eventId,
    JSON.stringify({ n: so, room_id: roomId }),
  );
}

describe('migration 0030', () => {
  let db: SqliteDb;
  beforeAll(() => {
    db = openSqlite(join(dir, 'm.db'));
    dbs.push(db);
    migrate(db, { upTo: 29 });
    insertOld(db, 2, '$b', '!r:x');
    insertOld(db, -5, '$history', '!r:x'); // backfilled history sits below 0
    insertOld(db, 1, '$a', '!s:x');
    insertOld(db, 99, '$orphan', '!r:x', false); // JSON without its event row
    migrate(db);
  });

  it('moves each JSON under its event position, in position order, with no index', () => {
    expect(db.prepare('SELECT stream_ordering, json FROM event_json').all()).toEqual([
      { stream_ordering: -5, json: JSON.stringify({ n: -5, room_id: '!r:x' }) },
      { stream_ordering: 1, json: JSON.stringify({ n: 1, room_id: '!s:x' }) },
      { stream_ordering: 2, json: JSON.stringify({ n: 2, room_id: '!r:x' }) },
    ]);
    expect(
      db
        .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'event_json' AND type = 'index'")
        .all(),
    ).toEqual([]);
  });

  it('answers reads by id through the view; a JSON without its event is gone', async () => {
    const q = sqliteQueryable(db);
    expect(await store.getEventJson(q, '$history')).toBe(
      JSON.stringify({ n: -5, room_id: '!r:x' }),
    );
    expect(await store.getEventJson(q, '$orphan')).toBeUndefined();
    const many = await store.getEventJsonMany(q, ['$a', '$b', '$orphan', '$unknown']);
    expect([...many.keys()].sort()).toEqual(['$a', '$b']);
    // The planner reaches the JSON through the events id index and the position.
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT json FROM event_json_by_id WHERE event_id = '$a'")
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/sqlite_autoindex_events_1/);
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/INTEGER PRIMARY KEY/);
  });

  it('stores a new event under the position it is given, and purges a room by position', async () => {
    const q = sqliteQueryable(db);
    const so = await store.insertEvent(q, {
      eventId: '$new',
      roomId: '!r:x',
      type: 'm.room.message',
      stateKey: null,
      sender: '@a:x',
      depth: 3,
      originServerTs: 0,
      outlier: false,
      rejectedReason: null,
      stateGroup: null,
      json: '{"new":true}',
    });
    expect(so).toBe(3); // after the highest event position, 2
    expect(db.prepare('SELECT json FROM event_json WHERE stream_ordering = ?').get(so)).toEqual({
      json: '{"new":true}',
    });
    await store.deleteRoomEvents(q, '!r:x');
    expect(db.prepare('SELECT stream_ordering FROM event_json').all()).toEqual([
      { stream_ordering: 1 },
    ]);
  });
});
