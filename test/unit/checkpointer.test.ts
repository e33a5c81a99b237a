import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi, type Mock } from 'vitest';
import { silentLogger } from '../../server/core/logger.js';
import {
  Checkpointer,
  HARD_LIMIT_BYTES,
  readWalFill,
  THRESHOLD_BYTES,
} from '../../server/db/checkpointer.js';
import { openSqlite, type SqliteDb } from '../../server/db/sqlite.js';

/**
 * The WAL's hard limit: the writer's next batch waits while the worker copies what is left,
 * instead of the writer copying it on the event loop (server/db/checkpointer.ts).
 */

let dir: string;
let db: SqliteDb;
let shm: number;
let here: Mock<() => void>;
let fallBack: Mock<() => void>;
let checkpointer: Checkpointer;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-checkpointer-'));
  const path = join(dir, 'test.db');
  db = openSqlite(path);
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${HARD_LIMIT_BYTES}`);
  db.exec('CREATE TABLE items (value TEXT)');
  shm = openSync(`${path}-shm`, 'r');
  here = vi.fn(() => {
    db.pragma('wal_checkpoint(PASSIVE)');
  });
  fallBack = vi.fn();
  checkpointer = new Checkpointer(path, `${path}-shm`, silentLogger(), fallBack, here);
});

afterEach(async () => {
  await checkpointer.close();
  closeSync(shm);
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Commits 64 KiB rows (each followed by the writer's look) until the WAL is that long. */
function writeUntil(bytes: number): void {
  const insert = db.prepare('INSERT INTO items (value) VALUES (?)');
  const blob = 'x'.repeat(64 * 1024);
  while (readWalFill(shm)!.frames < bytes) {
    insert.run(blob);
    checkpointer.afterCommit();
  }
}

it('asks for no wait below the hard limit', () => {
  writeUntil(THRESHOLD_BYTES * 2);
  expect(checkpointer.beforeBatch()).toBeNull();
});

it('at the hard limit, copies every frame in the worker before the next batch; the WAL then starts over', async () => {
  writeUntil(HARD_LIMIT_BYTES);
  const wait = checkpointer.beforeBatch();
  expect(wait).not.toBeNull();
  await wait;
  const fill = readWalFill(shm)!;
  expect(fill.frames).toBeGreaterThanOrEqual(HARD_LIMIT_BYTES);
  expect(fill.uncopied).toBe(0);
  // The worker copied it all: nothing was left for the writer's connection.
  expect(here).not.toHaveBeenCalled();
  expect(checkpointer.beforeBatch()).toBeNull();
  db.prepare('INSERT INTO items (value) VALUES (?)').run('after');
  expect(readWalFill(shm)!.frames).toBeLessThan(THRESHOLD_BYTES);
  expect(db.prepare('SELECT count(*) AS n FROM items WHERE value = ?').get('after')).toEqual({
    n: 1,
  });
});

it('copies on the writer connection what a reader kept the worker from copying', async () => {
  writeUntil(THRESHOLD_BYTES);
  // A reader's open transaction keeps its snapshot: frames after it cannot be copied.
  const reader = openSqlite(db.name, { readonly: true });
  try {
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM items').get();
    writeUntil(HARD_LIMIT_BYTES);
    await checkpointer.beforeBatch();
    expect(here).toHaveBeenCalledTimes(1);
    expect(readWalFill(shm)!.uncopied).toBeGreaterThan(0);
    reader.exec('COMMIT');
  } finally {
    reader.close();
  }
});

it('a worker that stops answers the waiting catch-up and hands checkpoints back to SQLite', async () => {
  writeUntil(HARD_LIMIT_BYTES);
  const wait = checkpointer.beforeBatch();
  const { worker } = checkpointer as unknown as { worker: Worker };
  await worker.terminate();
  await wait;
  expect(fallBack).toHaveBeenCalledTimes(1);
  expect(here).not.toHaveBeenCalled();
  // No worker any more: later commits past the limit ask for no wait.
  db.prepare('INSERT INTO items (value) VALUES (?)').run('more');
  checkpointer.afterCommit();
  expect(readWalFill(shm)!.frames).toBeGreaterThanOrEqual(HARD_LIMIT_BYTES);
  expect(checkpointer.beforeBatch()).toBeNull();
});
