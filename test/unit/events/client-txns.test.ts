import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../server/db/migrate.js';
import { openSqlite, type SqliteDb } from '../../../server/db/sqlite.js';
import { createRoomWithCreateEvent, sendLocalEvent } from '../../../server/events/persist.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import * as store from '../../../server/events/store.js';
import { getTxnIdsOfDevice } from '../../../server/sync/sync-store.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Client transaction ids (migration 0028): client_txns, WITHOUT ROWID and keyed by (user,
 * device, scope, txn id), answers a retry; the event's own row answers event -> txn id
 * (through the event_txn_ids view, for /sync); the purge of a room finds its rows by
 * (user, device) without an event-id index. Each is checked for its result and for the
 * query plan that keeps it cheap.
 */

const dir = mkdtempSync(join(tmpdir(), 'hearth-client-txns-'));
const dbs: SqliteDb[] = [];
afterAll(() => {
  dbs.forEach((db) => db.close());
  rmSync(dir, { recursive: true, force: true });
});

function insertEventRow(db: SqliteDb, so: number, eventId: string, roomId: string, sender: string) {
  db.prepare(
    `INSERT INTO events (stream_ordering, event_id, room_id, type, sender, depth, origin_server_ts)
     VALUES (?, ?, ?, 'm.room.message', ?, ?, 0)`,
  ).run(so, eventId, roomId, sender, so);
}

describe('migration 0028', () => {
  let db: SqliteDb;
  beforeAll(() => {
    db = openSqlite(join(dir, 'm.db'));
    dbs.push(db);
    migrate(db, { upTo: 27 });
    insertEventRow(db, 1, '$sent', '!r:x', '@a:x');
    insertEventRow(db, 2, '$plain', '!r:x', '@a:x');
    insertEventRow(db, 3, '$other', '!s:x', '@b:x');
    const txn = db.prepare(
      `INSERT INTO event_txn_ids (user_id, device_id, scope, txn_id, event_id, created_ts)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    txn.run('@a:x', 'DEV', 'send/!r:x/m.room.message', 't1', '$sent', 5);
    txn.run('@b:x', 'DEVB', '!s:x', 't1', '$other', 6);
    migrate(db);
  });

  it('copies every transaction id over, and onto the rows of their events', () => {
    expect(db.prepare('SELECT * FROM client_txns ORDER BY user_id').all()).toEqual([
      {
        user_id: '@a:x',
        device_id: 'DEV',
        scope: 'send/!r:x/m.room.message',
        txn_id: 't1',
        event_id: '$sent',
        created_ts: 5,
      },
      {
        user_id: '@b:x',
        device_id: 'DEVB',
        scope: '!s:x',
        txn_id: 't1',
        event_id: '$other',
        created_ts: 6,
      },
    ]);
    expect(
      db.prepare('SELECT event_id, txn_device_id, txn_id FROM events ORDER BY 1').all(),
    ).toEqual([
      { event_id: '$other', txn_device_id: 'DEVB', txn_id: 't1' },
      { event_id: '$plain', txn_device_id: null, txn_id: null },
      { event_id: '$sent', txn_device_id: 'DEV', txn_id: 't1' },
    ]);
    expect(db.prepare('SELECT * FROM event_txn_ids ORDER BY event_id').all()).toEqual([
      { user_id: '@b:x', device_id: 'DEVB', txn_id: 't1', event_id: '$other' },
      { user_id: '@a:x', device_id: 'DEV', txn_id: 't1', event_id: '$sent' },
    ]);
  });

  it('keeps one B-tree per transaction id: no rowid, no index but the key', () => {
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'client_txns'").all(),
    ).toEqual([{ name: 'client_txns' }]);
    expect(
      db
        .prepare(
          "SELECT count(*) AS n FROM pragma_table_list WHERE name = 'client_txns' AND wr = 1",
        )
        .get(),
    ).toEqual({ n: 1 });
  });

  const plan = (sql: string) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
      .map((r) => r.detail)
      .join('\n');

  it('answers each reader without scanning a table', () => {
    // a retry: the key
    expect(
      plan(
        "SELECT event_id FROM client_txns WHERE user_id = 'a' AND device_id = 'b' AND scope = 'c' AND txn_id = 'd'",
      ),
    ).toMatch(
      /SEARCH client_txns USING PRIMARY KEY \(user_id=\? AND device_id=\? AND scope=\? AND txn_id=\?\)/,
    );
    // /sync's transaction_id: the events' event-id index
    expect(
      plan(
        "SELECT event_id, txn_id FROM event_txn_ids WHERE user_id = 'a' AND device_id = 'b' AND event_id IN ('$x', '$y')",
      ),
    ).toMatch(/SEARCH events USING INDEX sqlite_autoindex_events_1 \(event_id=\?\)/);
    const purge = plan(
      `DELETE FROM client_txns WHERE (user_id, device_id) IN
         (SELECT sender, txn_device_id FROM events WHERE room_id = 'r' AND txn_id IS NOT NULL)
         AND event_id IN (SELECT event_id FROM events WHERE room_id = 'r')`,
    );
    expect(purge).toMatch(/SEARCH client_txns USING PRIMARY KEY \(user_id=\? AND device_id=\?\)/);
    expect(purge).not.toMatch(/SCAN/);
  });
});

describe('sends with a transaction id', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  afterAll(() => s.close());

  const ALICE = '@alice:test.local';
  async function makeRoom(): Promise<string> {
    const { roomId } = await createRoomWithCreateEvent(s.ctx, {
      version: roomVersion('10')!,
      sender: ALICE,
      content: {},
    });
    await sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.member',
      sender: ALICE,
      content: { membership: 'join' },
      stateKey: ALICE,
    });
    return roomId;
  }
  const sendTxn = (roomId: string, txnId: string, deviceId = 'DEV') =>
    sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.message',
      sender: ALICE,
      content: { body: txnId },
      txn: { deviceId, scope: `send/${roomId}/m.room.message`, txnId },
    });

  it('a retry answers the first event; the event row names its device and txn id', async () => {
    const roomId = await makeRoom();
    const first = await sendTxn(roomId, 'one');
    const again = await sendTxn(roomId, 'one');
    expect(again.eventId).toBe(first.eventId);
    const other = await sendTxn(roomId, 'one', 'DEV2');
    expect(other.eventId).not.toBe(first.eventId);
    expect(
      await store.getTxnEvent(s.ctx.db, {
        userId: ALICE,
        deviceId: 'DEV',
        scope: `send/${roomId}/m.room.message`,
        txnId: 'one',
      }),
    ).toBe(first.eventId);
    const row = await s.ctx.db.get<{ txn_device_id: string | null; txn_id: string | null }>(
      'SELECT txn_device_id, txn_id FROM events WHERE event_id = ?',
      first.eventId,
    );
    expect(row).toEqual({ txn_device_id: 'DEV', txn_id: 'one' });
    // /sync's lookup: only the sending device gets the transaction id
    expect(await getTxnIdsOfDevice(s.ctx.db, ALICE, 'DEV', [first.eventId, other.eventId])).toEqual(
      new Map([[first.eventId, 'one']]),
    );
    expect(
      await getTxnIdsOfDevice(s.ctx.db, ALICE, 'DEV2', [first.eventId, other.eventId]),
    ).toEqual(new Map([[other.eventId, 'one']]));
  });

  it('purging a room deletes its transaction ids and only those', async () => {
    const gone = await makeRoom();
    const kept = await makeRoom();
    await sendTxn(gone, 'a');
    await sendTxn(gone, 'b', 'DEV2');
    const keptEvent = await sendTxn(kept, 'c');
    await s.ctx.writer.transaction('test', (tx) => store.deleteRoomEvents(tx, gone));
    const rows = await s.ctx.db.all<{ event_id: string; scope: string }>(
      'SELECT event_id, scope FROM client_txns WHERE scope LIKE ?',
      `send/${gone}/%`,
    );
    expect(rows).toEqual([]);
    expect(
      await store.getTxnEvent(s.ctx.db, {
        userId: ALICE,
        deviceId: 'DEV',
        scope: `send/${kept}/m.room.message`,
        txnId: 'c',
      }),
    ).toBe(keptEvent.eventId);
  });
});
