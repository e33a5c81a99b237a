import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../server/db/migrate.js';
import { openSqlite, sqliteQueryable } from '../../server/db/sqlite.js';
import { getAccountDataStreamId } from '../../server/userdata/store.js';

/**
 * Migration 0031: the account-data stream's position (max of stream_id, read by /sync after
 * each commit) is one index descent, not a walk of the whole table.
 */

const dir = mkdtempSync(join(tmpdir(), 'hearth-account-data-'));
const db = openSqlite(join(dir, 'h.db'));
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the account-data stream position', () => {
  it('reads max(stream_id) through the stream_id index', async () => {
    migrate(db);
    const insert = db.prepare(
      `INSERT INTO account_data (user_id, room_id, type, content_json, stream_id)
       VALUES (?, '', ?, '{}', ?)`,
    );
    db.transaction(() => {
      for (let i = 1; i <= 2000; i++) insert.run(`@u${i % 97}:x`, `t${i}`, i);
    })();
    expect(await getAccountDataStreamId(sqliteQueryable(db))).toBe(2000);
    // The plan names the stream_id index (without it, the user_id-led index is walked whole).
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT max(stream_id) AS id FROM account_data')
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('account_data_by_stream_id');
  });
});
