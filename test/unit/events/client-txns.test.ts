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
import { purgeRoom } from '../../../server/admin/room-purge.js';
import { createContext } from '../../../server/context.js';
import { silentLogger } from '../../../server/core/logger.js';
import type { Queryable, SqlValue } from '../../../server/db/sql.js';
import { sqliteQueryable } from '../../../server/db/sqlite.js';
import { ClientTxnIndex, RETENTION_MS, txnRef } from '../../../server/events/client-txns.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Client transaction ids. Migration 0028 put the event -> txn id direction on the event's
 * own row (read through the event_txn_ids view, for /sync); migration 0029 made
 * client_txns a table appended in arrival order with no index, and the retry lookup an
 * in-memory index of the last day's rows (events/client-txns.ts), loaded from the table
 * after a restart, bounded in age and in count, and emptied of a purged room's events.
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
    migrate(db, { upTo: 28 });
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

  it("answers /sync's event -> txn id lookup through the events' event-id index", () => {
    const plan = (
      db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT event_id, txn_id FROM event_txn_ids WHERE user_id = 'a' AND device_id = 'b' AND event_id IN ('$x', '$y')",
        )
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/SEARCH events USING INDEX sqlite_autoindex_events_1 \(event_id=\?\)/);
  });
});

describe('migration 0029', () => {
  let db: SqliteDb;
  beforeAll(() => {
    db = openSqlite(join(dir, 'm29.db'));
    dbs.push(db);
    migrate(db, { upTo: 28 });
    const txn = db.prepare(
      `INSERT INTO client_txns (user_id, device_id, scope, txn_id, event_id, created_ts)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    // Key order differs from arrival order.
    txn.run('@b:x', 'DEVB', 'send/!s:x/m.room.message', 't9', '$late', 30);
    txn.run('@a:x', 'DEV', 'send/!r:x/m.room.message', 't1', '$early', 10);
    txn.run('@a:x', 'DEV', 'redact/!r:x/$early', 't2', '$middle', 20);
    migrate(db);
  });

  it('keeps every transaction id, in arrival order', () => {
    expect(
      db.prepare('SELECT id, event_id, created_ts FROM client_txns ORDER BY id').all(),
    ).toEqual([
      { id: 1, event_id: '$early', created_ts: 10 },
      { id: 2, event_id: '$middle', created_ts: 20 },
      { id: 3, event_id: '$late', created_ts: 30 },
    ]);
  });

  it('is a rowid table with no index: a row goes on the last page', () => {
    expect(
      db.prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 'client_txns'").all(),
    ).toEqual([{ type: 'table', name: 'client_txns' }]);
    expect(
      db
        .prepare(
          "SELECT count(*) AS n FROM pragma_table_list WHERE name = 'client_txns' AND wr = 0",
        )
        .get(),
    ).toEqual({ n: 1 });
  });

  it('deletes aged-out rows from the head of the table', async () => {
    const q = sqliteQueryable(db);
    await store.deleteClientTxnsUpTo(q, 10);
    expect(db.prepare('SELECT event_id FROM client_txns ORDER BY id').all()).toEqual([
      { event_id: '$middle' },
      { event_id: '$late' },
    ]);
    expect(await store.listClientTxnsAfter(q, 20, 10)).toEqual([
      {
        id: 3,
        user_id: '@b:x',
        device_id: 'DEVB',
        scope: 'send/!s:x/m.room.message',
        txn_id: 't9',
        event_id: '$late',
        created_ts: 30,
      },
    ]);
    await store.deleteClientTxnsUpTo(q, 30);
    expect(db.prepare('SELECT count(*) AS n FROM client_txns').get()).toEqual({ n: 0 });
  });
});

describe('sends with a transaction id', () => {
  const ALICE = '@alice:test.local';
  let now = 1_800_000_000_000;
  const clock = { now: () => now };
  let serverDir: string;
  let s: TestServer;
  beforeAll(async () => {
    serverDir = mkdtempSync(join(dir, 'server-'));
    s = await createTestServer({}, { clock, dir: serverDir });
  });
  afterAll(() => s.close());

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
  const scopeOf = (roomId: string) => `send/${roomId}/m.room.message`;
  const sendTxn = (roomId: string, txnId: string, deviceId = 'DEV') =>
    sendLocalEvent(s.ctx, {
      roomId,
      type: 'm.room.message',
      sender: ALICE,
      content: { body: txnId },
      txn: { deviceId, scope: scopeOf(roomId), txnId },
    });
  const messagesIn = async (roomId: string) =>
    (await s.ctx.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE room_id = ? AND type = 'm.room.message'",
      roomId,
    ))!.n;
  const tableRows = () =>
    s.ctx.db.all<{ event_id: string; created_ts: number }>(
      'SELECT event_id, created_ts FROM client_txns ORDER BY id',
    );

  it('a retry answers the first event; the event row names its device and txn id', async () => {
    const roomId = await makeRoom();
    const first = await sendTxn(roomId, 'one');
    const again = await sendTxn(roomId, 'one');
    expect(again.eventId).toBe(first.eventId);
    const other = await sendTxn(roomId, 'one', 'DEV2');
    expect(other.eventId).not.toBe(first.eventId);
    // the same txn id for another endpoint (here: another room's send) is another request
    const elsewhere = await sendTxn(await makeRoom(), 'one');
    expect(elsewhere.eventId).not.toBe(first.eventId);
    expect(await messagesIn(roomId)).toBe(2);
    expect(
      await s.ctx.clientTxns.lookup(
        s.ctx.db,
        txnRef({ userId: ALICE, deviceId: 'DEV', scope: scopeOf(roomId), txnId: 'one' }),
        now,
      ),
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

  it('a retry racing the first request (still in flight) gets its event', async () => {
    const roomId = await makeRoom();
    const [a, b] = await Promise.all([sendTxn(roomId, 'race'), sendTxn(roomId, 'race')]);
    expect(b.eventId).toBe(a.eventId);
    expect(await messagesIn(roomId)).toBe(1);
  });

  it('a retry after a restart answers the first event (the index is loaded from the table)', async () => {
    const roomId = await makeRoom();
    const first = await sendTxn(roomId, 'before-restart');
    await s.close();
    s = await createTestServer({}, { clock, dir: serverDir });
    expect(s.ctx.clientTxns.size).toBe(0);
    const again = await sendTxn(roomId, 'before-restart');
    expect(again.eventId).toBe(first.eventId);
    expect(await messagesIn(roomId)).toBe(1);
    expect(s.ctx.clientTxns.size).toBeGreaterThan(0);
  });

  it('purging a room forgets its transaction ids, in the table and the index, and only those', async () => {
    const gone = await makeRoom();
    const kept = await makeRoom();
    const a = await sendTxn(gone, 'a');
    await sendTxn(gone, 'b', 'DEV2');
    const keptEvent = await sendTxn(kept, 'c');
    const before = s.ctx.clientTxns.size;
    await purgeRoom(s.ctx, gone);
    expect(s.ctx.clientTxns.size).toBe(before - 2);
    const rows = await tableRows();
    expect(rows.map((r) => r.event_id)).toContain(keptEvent.eventId);
    expect(rows.map((r) => r.event_id)).not.toContain(a.eventId);
    const lookup = (roomId: string, txnId: string, deviceId = 'DEV') =>
      s.ctx.clientTxns.lookup(
        s.ctx.db,
        txnRef({ userId: ALICE, deviceId, scope: scopeOf(roomId), txnId }),
        now,
      );
    expect(await lookup(gone, 'a')).toBeUndefined();
    expect(await lookup(gone, 'b', 'DEV2')).toBeUndefined();
    expect(await lookup(kept, 'c')).toBe(keptEvent.eventId);
  });

  it('remembers a transaction id for a day; a send then deletes the rows older than that', async () => {
    const roomId = await makeRoom();
    const first = await sendTxn(roomId, 'daily');
    const sentAt = now;
    now += RETENTION_MS - 1;
    expect((await sendTxn(roomId, 'daily')).eventId).toBe(first.eventId);
    now = sentAt + RETENTION_MS;
    const later = await sendTxn(roomId, 'daily');
    expect(later.eventId).not.toBe(first.eventId);
    expect(await messagesIn(roomId)).toBe(2);
    // More than PRUNE_EVERY_MS since the server started: that send pruned the table.
    const rows = await tableRows();
    expect(rows.every((r) => r.created_ts > now - RETENTION_MS)).toBe(true);
    expect(rows.map((r) => r.event_id)).toEqual([later.eventId]);
    // and after a restart, the index loads only what is left
    await s.close();
    s = await createTestServer({}, { clock, dir: serverDir });
    expect((await sendTxn(roomId, 'daily')).eventId).toBe(later.eventId);
    expect(s.ctx.clientTxns.size).toBe(1);
  });
});

describe('ClientTxnIndex', () => {
  const now = 1_800_000_000_000;
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({}, { clock: { now: () => now } });
  });
  afterAll(() => s.close());
  const key = (txnId: string) =>
    txnRef({ userId: '@u:x', deviceId: 'D', scope: 'send/!r:x/m', txnId });
  const record = (index: ClientTxnIndex, txnId: string) =>
    s.ctx.writer.transaction('test', (tx) => index.record(tx, key(txnId), `$${txnId}`, now));

  it('keeps at most maxEntries, forgetting the oldest', async () => {
    await s.ctx.db.run('SELECT 1');
    const index = new ClientTxnIndex(2, now);
    for (const t of ['k1', 'k2', 'k3']) await record(index, t);
    expect(index.size).toBe(2);
    expect(await index.lookup(s.ctx.db, key('k1'), now)).toBeUndefined();
    expect(await index.lookup(s.ctx.db, key('k3'), now)).toBe('$k3');
    // loaded afresh from the table: the newest two again
    const fresh = new ClientTxnIndex(2, now);
    expect(await fresh.lookup(s.ctx.db, key('k1'), now)).toBeUndefined();
    expect(await fresh.lookup(s.ctx.db, key('k2'), now)).toBe('$k2');
    expect(fresh.size).toBe(2);
  });

  it('keeps the sends committed while its load reads the table', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowDb: Queryable = {
      ...s.ctx.db,
      all: async <T>(sql: string, ...params: SqlValue[]) => {
        const rows = await s.ctx.db.all<T>(sql, ...params);
        await gate;
        return rows;
      },
    };
    const index = new ClientTxnIndex(100, now);
    const loading = index.lookup(slowDb, key('early'), now);
    // committed after the load read the table, before the load is done
    await record(index, 'meanwhile');
    release();
    await loading;
    expect(await index.lookup(s.ctx.db, key('meanwhile'), now)).toBe('$meanwhile');
  });

  it('answers from the row: an entry whose row is gone is no answer', async () => {
    const index = new ClientTxnIndex(100, now);
    await record(index, 'gone');
    expect(await index.lookup(s.ctx.db, key('gone'), now)).toBe('$gone');
    const entries = index.size;
    await s.ctx.writer.transaction('test', (tx) =>
      tx.run("DELETE FROM client_txns WHERE event_id = '$gone'"),
    );
    expect(index.size).toBe(entries);
    expect(await index.lookup(s.ctx.db, key('gone'), now)).toBeUndefined();
  });

  it('a context replacing another on the same database shares its index', () => {
    const next = createContext({ config: s.ctx.config, log: silentLogger(), replacing: s.ctx });
    try {
      expect(next.ctx.clientTxns).toBe(s.ctx.clientTxns);
    } finally {
      void next.close();
    }
  });

  it('a failed load is tried again by the next lookup', async () => {
    const index = new ClientTxnIndex(100, now);
    const failing: Queryable = {
      ...s.ctx.db,
      all: () => Promise.reject(new Error('disk I/O error')),
    };
    await expect(index.lookup(failing, key('x'), now)).rejects.toThrow('disk I/O error');
    await record(index, 'after-failure');
    expect(await index.lookup(s.ctx.db, key('after-failure'), now)).toBe('$after-failure');
  });
});
