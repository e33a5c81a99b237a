import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../server/core/clock.js';
import { silentLogger } from '../../server/core/logger.js';
import { HARD_LIMIT_BYTES, readWalFill, THRESHOLD_BYTES } from '../../server/db/checkpointer.js';
import { openSqlite, type SqliteDb } from '../../server/db/sqlite.js';
import { Writer } from '../../server/db/writer.js';

/** The single writer: group commit, per-unit rollback, afterCommit, isolation from readers. */

let dir: string;
let db: SqliteDb;
let reader: SqliteDb;
let writer: Writer;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-writer-'));
  const path = join(dir, 'test.db');
  db = openSqlite(path);
  db.exec('CREATE TABLE items (name TEXT PRIMARY KEY)');
  reader = openSqlite(path, { readonly: true });
  writer = new Writer(db, silentLogger(), systemClock);
});

afterEach(async () => {
  await writer.close();
  reader.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const names = () =>
  (reader.prepare('SELECT name FROM items ORDER BY name').all() as { name: string }[]).map(
    (r) => r.name,
  );

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Queues a unit that holds the writer until released, so the next units share one batch. */
function hold(): () => void {
  const gate = deferred();
  void writer.transaction('hold', async () => gate.promise);
  return gate.resolve;
}

describe('Writer', () => {
  // The first unit starts at once; the ones queued while it runs share the next commit.
  it.each([[3], [10], [100]])('groups %i concurrent units into fewer commits', async (n) => {
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        writer.transaction(`insert-${i}`, async (tx) => {
          await tx.run('INSERT INTO items (name) VALUES (?)', `item-${String(i).padStart(3, '0')}`);
          return i * 2;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i * 2));
    expect(writer.stats.units).toBe(n);
    expect(writer.stats.commits).toBeLessThan(n);
    expect(writer.stats.commits).toBeLessThanOrEqual(2);
    expect(names()).toHaveLength(n);
  });

  it('names each unit in its stats', async () => {
    await Promise.all([
      writer.transaction('a', async () => 1),
      writer.transaction('a', async () => 2),
      writer.transaction('b', async () => 3),
    ]);
    expect(writer.stats.byName.get('a')?.count).toBe(2);
    expect(writer.stats.byName.get('b')?.count).toBe(1);
  });

  it('rolls back only the failing unit of a batch', async () => {
    const release = hold();
    const commitsBefore = writer.stats.commits;
    const ok1 = writer.transaction('ok1', (tx) =>
      tx.run('INSERT INTO items (name) VALUES (?)', 'a'),
    );
    const bad = writer.transaction('bad', async (tx) => {
      await tx.run('INSERT INTO items (name) VALUES (?)', 'b');
      throw new Error('boom');
    });
    const dup = writer.transaction('dup', (tx) =>
      tx.run('INSERT INTO items (name) VALUES (?)', 'a'),
    );
    const ok2 = writer.transaction('ok2', (tx) =>
      tx.run('INSERT INTO items (name) VALUES (?)', 'c'),
    );
    release();
    await expect(bad).rejects.toThrow('boom');
    await expect(dup).rejects.toThrow(/UNIQUE/);
    await expect(ok1).resolves.toMatchObject({ changes: 1 });
    await expect(ok2).resolves.toMatchObject({ changes: 1 });
    // queued in one turn of the event loop, the held unit and the four share one commit
    expect(writer.stats.commits - commitsBefore).toBe(1);
    expect(names()).toEqual(['a', 'c']);
  });

  it('runs afterCommit once the commit is visible, and not for a failed unit', async () => {
    const seen: string[][] = [];
    const calls: string[] = [];
    const release = hold();
    const good = writer.transaction('good', async (tx) => {
      await tx.run('INSERT INTO items (name) VALUES (?)', 'x');
      tx.afterCommit(() => {
        calls.push('good');
        seen.push(names());
      });
      expect(calls).toEqual([]);
      return 'done';
    });
    const bad = writer.transaction('bad', async (tx) => {
      tx.afterCommit(() => calls.push('bad'));
      throw new Error('nope');
    });
    release();
    await expect(good).resolves.toBe('done');
    await expect(bad).rejects.toThrow('nope');
    expect(calls).toEqual(['good']);
    expect(seen).toEqual([['x']]);
  });

  it('resolves a unit even when its afterCommit callback throws', async () => {
    const result = writer.transaction('cb-throws', async (tx) => {
      tx.afterCommit(() => {
        throw new Error('callback failed');
      });
      return 7;
    });
    await expect(result).resolves.toBe(7);
  });

  it('refuses a unit started inside a unit', async () => {
    const message = await writer.transaction('outer', async () => {
      try {
        await writer.transaction('inner', async () => 1);
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(message).toMatch(/"inner".*inside unit "outer"/);
  });

  it('hides a unit from readers until its commit', async () => {
    const during: string[][] = [];
    await writer.transaction('write', async (tx) => {
      await tx.run('INSERT INTO items (name) VALUES (?)', 'hidden');
      expect(await tx.get('SELECT name FROM items')).toEqual({ name: 'hidden' });
      during.push(names());
    });
    expect(during).toEqual([[]]);
    expect(names()).toEqual(['hidden']);
  });

  it('keeps units in queue order', async () => {
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        writer.transaction(`u${i}`, async (tx) => {
          await tx.get('SELECT 1');
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses units after close', async () => {
    await writer.transaction('last', async () => 1);
    await writer.close();
    await expect(writer.transaction('late', async () => 1)).rejects.toThrow(/closed/);
  });

  it('caps a batch at maxBatch units', async () => {
    const small = new Writer(db, silentLogger(), systemClock, 2);
    const gate = deferred();
    void small.transaction('hold', async () => gate.promise);
    const rest = Array.from({ length: 6 }, (_, i) => small.transaction(`u${i}`, async () => i));
    gate.resolve();
    await Promise.all(rest);
    expect(small.stats.commits).toBe(4);
    await small.close();
  });

  it('checkpoints the WAL in a worker thread, and keeps it short however much is written', async () => {
    // SQLite's own checkpoint is off on the writer's connection (it would run inside a
    // commit, on the event loop): without the worker, the WAL would hold everything.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const blob = 'x'.repeat(64 * 1024);
    let biggestWal = 0;
    let startedOver = false;
    let lastFrames = 0;
    let lastSize = 0;
    const cutBack: number[][] = [];
    const shm = openSync(`${db.name}-shm`, 'r');
    try {
      for (let i = 0; i < 400; i++) {
        await writer.transaction('big', (tx) =>
          tx.run('INSERT INTO items (name) VALUES (?)', `${String(i).padStart(4, '0')}${blob}`),
        );
        const size = statSync(`${db.name}-wal`).size;
        biggestWal = Math.max(biggestWal, size);
        const fill = readWalFill(shm);
        if (fill && fill.frames < lastFrames) {
          startedOver = true;
          // Not cut back when the WAL starts over: commits write over blocks the file has
          // (checkpointer.ts says why).
          if (size < Math.min(lastSize, HARD_LIMIT_BYTES)) cutBack.push([lastSize, size]);
        }
        if (fill) lastFrames = fill.frames;
        lastSize = size;
      }
    } finally {
      closeSync(shm);
    }
    // 400 x 64 KiB = 25 MiB written; the database file received it, the WAL stayed short.
    await vi.waitFor(() => expect(statSync(db.name).size).toBeGreaterThan(16 * 1024 * 1024));
    // Never started over, the WAL would reach about 60 MiB; it starts over once the worker
    // has copied it (or at HARD_LIMIT_BYTES, when the worker is slow on a busy machine).
    expect(startedOver).toBe(true);
    expect(biggestWal).toBeLessThan(HARD_LIMIT_BYTES + 8 * 1024 * 1024);
    expect(biggestWal).toBeGreaterThan(THRESHOLD_BYTES);
    expect(cutBack).toEqual([]);
    expect(reader.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 400 });
  });

  it('reads how much the WAL holds, and how much of it is copied, from the WAL index', () => {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const shm = openSync(`${db.name}-shm`, 'r');
    try {
      const frame = 4096 + 24;
      for (let i = 0; i < 50; i++) {
        db.prepare('INSERT INTO items (name) VALUES (?)').run(`${i}`.padEnd(3000, 'x'));
      }
      const written = readWalFill(shm)!;
      // The WAL file is its 32-byte header and the frames.
      expect(written.frames).toBe(statSync(`${db.name}-wal`).size - 32);
      expect(written.frames % frame).toBe(0);
      expect(written.uncopied).toBe(written.frames);
      const [ckpt] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
      expect(ckpt!.log * frame).toBe(written.frames);
      expect(readWalFill(shm)).toEqual({ frames: written.frames, uncopied: 0 });
      // The next commit starts the WAL over; the file keeps its size.
      db.prepare('INSERT INTO items (name) VALUES (?)').run('after');
      const after = readWalFill(shm)!;
      expect(after.frames).toBeLessThan(written.frames);
      expect(after.uncopied).toBe(after.frames);
      expect(statSync(`${db.name}-wal`).size).toBe(written.frames + 32);
    } finally {
      closeSync(shm);
    }
  });

  describe('durability', () => {
    /** A writer whose fsyncs wait for the test to let them finish (or fail). */
    function heldSyncWriter() {
      const pending: ((err: NodeJS.ErrnoException | null) => void)[] = [];
      const w = new Writer(db, silentLogger(), systemClock, 256, (fd, cb) => {
        expect(typeof fd).toBe('number');
        pending.push(cb);
      });
      return { w, pending };
    }

    it('commits a WAL database without fsync and answers units after its own fsync', async () => {
      const { w, pending } = heldSyncWriter();
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL: the writer syncs
      let answered = false;
      const unit = w
        .transaction('a', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'a'))
        .then(() => (answered = true));
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      expect(names()).toEqual(['a']); // committed: readers see it
      expect(answered).toBe(false); // but not answered before the WAL is on disk
      pending.shift()!(null);
      await unit;
      expect(answered).toBe(true);
      await w.close();
    });

    it('runs onCommit in the commit itself, before the fsync, and never for a failed unit', async () => {
      const { w, pending } = heldSyncWriter();
      const calls: string[] = [];
      const seen: string[][] = [];
      const good = w.transaction('good', async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', 'x');
        tx.onCommit(() => {
          calls.push('good onCommit');
          seen.push(names());
        });
        tx.afterCommit(() => calls.push('good afterCommit'));
        expect(calls).toEqual([]);
      });
      const bad = w.transaction('bad', async (tx) => {
        await tx.run('INSERT INTO items (name) VALUES (?)', 'y');
        tx.onCommit(() => calls.push('bad onCommit'));
        throw new Error('nope');
      });
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      // Committed, not yet durable: the mirror has moved with the rows readers now see.
      expect(calls).toEqual(['good onCommit']);
      expect(seen).toEqual([['x']]);
      pending.shift()!(null);
      await good;
      await expect(bad).rejects.toThrow('nope');
      expect(calls).toEqual(['good onCommit', 'good afterCommit']);
      await w.close();
    });

    it('shares one fsync among the commits made while another runs', async () => {
      const { w, pending } = heldSyncWriter();
      const first = w.transaction('a', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'a'));
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      const later = [
        w.transaction('b', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'b')),
      ];
      await vi.waitFor(() => expect(names()).toEqual(['a', 'b']));
      later.push(w.transaction('c', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'c')));
      await vi.waitFor(() => expect(names()).toEqual(['a', 'b', 'c']));
      expect(pending).toHaveLength(1); // b and c committed during the first fsync
      pending.shift()!(null);
      await first;
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      pending.shift()!(null);
      await Promise.all(later);
      expect(w.stats.commits).toBe(3);
      await w.close();
    });

    it('answers a durable: false unit at its commit, and a later durable unit after the fsync', async () => {
      const { w, pending } = heldSyncWriter();
      const calls: string[] = [];
      const visible = await w.transaction(
        'a',
        async (tx) => {
          await tx.run('INSERT INTO items (name) VALUES (?)', 'a');
          tx.afterCommit(() => calls.push('a committed'));
          return 'a';
        },
        { durable: false },
      );
      expect(visible).toBe('a');
      expect(calls).toEqual(['a committed']);
      expect(names()).toEqual(['a']);
      // Its commit's fsync runs all the same; a durable unit after it waits for its own.
      let answered = false;
      const durable = w
        .transaction('b', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'b'))
        .then(() => (answered = true));
      await vi.waitFor(() => expect(names()).toEqual(['a', 'b']));
      expect(answered).toBe(false);
      while (!answered) {
        pending.shift()?.(null);
        await new Promise((r) => setTimeout(r, 1));
      }
      await durable;
      await w.close();
    });

    it('whenAllDurable: null when all is on disk, else settles with the fsync that covers every commit', async () => {
      const { w, pending } = heldSyncWriter();
      expect(w.whenAllDurable()).toBeNull();
      const a = w.transaction('a', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'a'));
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      let first = false;
      void w.whenAllDurable()!.then(() => (first = true));
      // A commit made during that fsync is not covered by it: its reader waits for the next.
      const b = w.transaction('b', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'b'));
      await vi.waitFor(() => expect(names()).toEqual(['a', 'b']));
      let second = false;
      void w.whenAllDurable()!.then(() => (second = true));
      pending.shift()!(null);
      await a;
      await vi.waitFor(() => expect(first).toBe(true));
      expect(second).toBe(false);
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      pending.shift()!(null);
      await b;
      await vi.waitFor(() => expect(second).toBe(true));
      expect(w.whenAllDurable()).toBeNull();
      await w.close();
    });

    it('whenAllDurable starts an fsync for commits of durable: false units alone, and rejects when it fails', async () => {
      const { w, pending } = heldSyncWriter();
      await w.transaction('a', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'a'), {
        durable: false,
      });
      // No durable unit asked for an fsync; a reader that showed the row does.
      const durable = w.whenAllDurable();
      expect(durable).not.toBeNull();
      await vi.waitFor(() => expect(pending.length).toBeGreaterThan(0));
      while (pending.length) pending.shift()!(null);
      await durable;
      expect(w.whenAllDurable()).toBeNull();

      await w.transaction('b', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'b'), {
        durable: false,
      });
      const failing = w.whenAllDurable()!;
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      pending.shift()!(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      await expect(failing).rejects.toThrow(/EIO/);
      await expect(w.whenAllDurable()!).rejects.toThrow(/EIO/);
      await w.close();
    });

    it('fails the waiting units, and refuses later ones, when an fsync fails', async () => {
      const { w, pending } = heldSyncWriter();
      const unit = w.transaction('a', (tx) => tx.run('INSERT INTO items (name) VALUES (?)', 'a'));
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      pending.shift()!(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      await expect(unit).rejects.toThrow(/EIO/);
      await expect(w.transaction('b', async () => 1)).rejects.toThrow(/EIO/);
      await w.close();
    });
  });
});
