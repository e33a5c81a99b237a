// Benchmark 5: writes under load. How many ~1 KB rows per second reach a SQLite file through
// Hearth's single database writer (server/db/writer.ts, from the built dist/hearth.mjs) with
// C concurrent callers, next to two baselines on the same kind of connection (openSqlite:
// WAL, synchronous=NORMAL, foreign keys) without the writer:
//   autocommit  one implicit transaction per INSERT, one after another (the naive way);
//   batched     the same number of rows as the writer at the highest C committed in its
//               latest window, in explicit transactions of `batchSize` rows (the ceiling).
// Every measurement runs in its own fresh Node process on its own new database file, so it
// shares an event loop, a page cache of its own making and a table with nothing else.
//
// As a module: benchWrites() runs the rounds (in ABBA order: the list of modes forwards in
// even rounds, backwards in odd ones) and returns medians. As a script:
// `node bench/lib/writer-bench.js '<json options>'` makes one measurement, removes its
// database files and prints one JSON line. Same window rule as loadgen.js: after a warm-up,
// inserts committed inside [warm-up end, warm-up end + duration] count. Bounded by time and
// by a row count (maxRows).
//
// The writer's units resolve on microtasks, so while callers keep it busy the event loop
// never reaches its timers: every clock reading here is performance.now() taken inline.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './procs.js';
import { median, quantile, round } from './util.js';

const SELF = fileURLToPath(import.meta.url);
const BUNDLE = new URL('../../dist/hearth.mjs', import.meta.url).href;

const SCHEMA =
  'CREATE TABLE events (id INTEGER PRIMARY KEY, room TEXT NOT NULL, json TEXT NOT NULL)';
const INSERT = 'INSERT INTO events (room, json) VALUES (?, ?)';
const ROOMS = Array.from({ length: 16 }, (_, i) => `!room${i}:bench.localhost`);

/** A Matrix message event serialised to exactly `bytes` bytes of JSON. */
function eventJson(bytes) {
  const ev = {
    type: 'm.room.message',
    sender: '@bench:bench.localhost',
    origin_server_ts: 1_700_000_000_000,
    content: { msgtype: 'm.text', body: '' },
  };
  ev.content.body = 'x'.repeat(bytes - JSON.stringify(ev).length);
  return JSON.stringify(ev);
}

// ---------------------------------------------------------------------------------------
// One measurement (child process).

async function measure(o) {
  const { Writer, openSqlite, silentLogger } = await import(BUNDLE);
  mkdirSync(o.dir, { recursive: true });
  const file = join(o.dir, `${o.mode}-${o.concurrency ?? 0}-${process.pid}.sqlite`);
  const db = openSqlite(file);
  const pragmas = {
    journal_mode: db.pragma('journal_mode', { simple: true }),
    synchronous: db.pragma('synchronous', { simple: true }),
    foreign_keys: db.pragma('foreign_keys', { simple: true }),
  };
  db.exec(SCHEMA);
  const row = eventJson(o.rowBytes);
  try {
    const res =
      o.mode === 'writer'
        ? await measureWriter(o, db, new Writer(db, silentLogger(), { now: () => Date.now() }), row)
        : o.mode === 'autocommit'
          ? measureAutocommit(o, db, row)
          : measureBatched(o, db, row);
    const total = db.prepare('SELECT count(*) AS n FROM events').get().n;
    const size = (f) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    return {
      mode: o.mode,
      concurrency: o.concurrency ?? 1,
      rowBytes: Buffer.byteLength(row),
      pragmas,
      ...res,
      rowsInTable: total,
      dbBytes: size(file),
      walBytes: size(`${file}-wal`),
    };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}

/** CPU time of this process (all threads) in ms. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Counts completions inside the window and the CPU used from the first completion inside
 * it to the first one after it (with the completions in between), read inline.
 */
function windowCounter(windowStart, windowEnd) {
  const c = { count: 0, lastCounted: windowStart, cpuOps: 0 };
  c.done = (t1) => {
    if (t1 >= windowStart && t1 <= windowEnd) {
      c.count++;
      if (t1 > c.lastCounted) c.lastCounted = t1;
    }
    if (c.cpuStart === undefined) {
      if (t1 >= windowStart) {
        c.cpuStart = cpuMs();
        c.cpuT0 = t1;
      }
    } else if (c.cpuEnd === undefined) {
      c.cpuOps++;
      if (t1 > windowEnd) {
        c.cpuEnd = cpuMs();
        c.cpuT1 = t1;
      }
    }
  };
  c.result = (capped, durationMs) => {
    if (c.cpuStart !== undefined && c.cpuEnd === undefined) {
      c.cpuEnd = cpuMs();
      c.cpuT1 = performance.now();
    }
    const windowMs = capped ? c.lastCounted - windowStart : durationMs;
    const cpu = c.cpuEnd - c.cpuStart;
    return {
      inserts: c.count,
      windowMs: round(windowMs, 1),
      rate: windowMs > 0 ? c.count / (windowMs / 1000) : 0,
      cpuMs: round(cpu, 1),
      cpuWindowMs: round(c.cpuT1 - c.cpuT0, 1),
      perCpuSecond: cpu > 0 ? c.cpuOps / (cpu / 1000) : NaN,
    };
  };
  return c;
}

/** C callers, each awaiting one single-INSERT writer unit after another. */
async function measureWriter(o, db, writer, row) {
  const start = performance.now();
  const windowStart = start + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  const w = windowCounter(windowStart, windowEnd);
  const latencies = [];
  let firstCommit = Infinity;
  let lastCommit = -Infinity;
  let issued = 0;
  let capped = false;
  async function caller(k) {
    for (let i = k; ; i += o.concurrency) {
      if (performance.now() >= windowEnd) return;
      if (issued >= o.maxRows) {
        capped = true;
        return;
      }
      issued++;
      const t0 = performance.now();
      await writer.transaction('insert', (tx) => tx.run(INSERT, ROOMS[i % ROOMS.length], row));
      const t1 = performance.now();
      w.done(t1);
      if (t1 >= windowStart && t1 <= windowEnd) {
        latencies.push(t1 - t0);
        // The writer counts a commit before it resolves that commit's units, so this is
        // the number of the commit that held this unit.
        const commit = writer.stats.commits;
        if (commit < firstCommit) firstCommit = commit;
        if (commit > lastCommit) lastCommit = commit;
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, (_, k) => caller(k)));
  const res = w.result(capped, o.durationMs);
  await writer.close();
  const commits = res.inserts > 0 ? lastCommit - firstCommit + 1 : 0;
  return {
    ...res,
    commits,
    insertsPerCommit: commits > 0 ? res.inserts / commits : NaN,
    totalCommits: writer.stats.commits,
    totalUnits: writer.stats.units,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
    issued,
    capped,
  };
}

/** Baseline A: one INSERT after another, each its own (implicit) transaction. */
function measureAutocommit(o, db, row) {
  const stmt = db.prepare(INSERT);
  const start = performance.now();
  const windowStart = start + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  const w = windowCounter(windowStart, windowEnd);
  let issued = 0;
  let capped = false;
  for (let i = 0; ; i++) {
    if (performance.now() >= windowEnd) break;
    if (issued >= o.maxRows) {
      capped = true;
      break;
    }
    issued++;
    stmt.run(ROOMS[i % ROOMS.length], row);
    w.done(performance.now());
  }
  return {
    ...w.result(capped, o.durationMs),
    commits: w.count,
    insertsPerCommit: 1,
    issued,
    capped,
  };
}

/**
 * Baseline B: after the same warm-up (batches, untimed), `rows` rows in transactions of
 * `batchSize`, timed as a whole.
 */
function measureBatched(o, db, row) {
  const stmt = db.prepare(INSERT);
  const insertBatch = db.transaction((base, n) => {
    for (let k = 0; k < n; k++) stmt.run(ROOMS[(base + k) % ROOMS.length], row);
  });
  const warmEnd = performance.now() + o.warmupMs;
  let base = 0;
  while (performance.now() < warmEnd && base < o.maxRows) {
    insertBatch(base, o.batchSize);
    base += o.batchSize;
  }
  const rows = Math.min(o.rows, o.maxRows);
  const cpu0 = cpuMs();
  const t0 = performance.now();
  let commits = 0;
  for (let done = 0; done < rows; done += o.batchSize) {
    insertBatch(base + done, Math.min(o.batchSize, rows - done));
    commits++;
  }
  const elapsed = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  return {
    inserts: rows,
    windowMs: round(elapsed, 1),
    rate: elapsed > 0 ? rows / (elapsed / 1000) : 0,
    cpuMs: round(cpu, 1),
    cpuWindowMs: round(elapsed, 1),
    perCpuSecond: cpu > 0 ? rows / (cpu / 1000) : NaN,
    commits,
    insertsPerCommit: commits > 0 ? rows / commits : NaN,
    batchSize: o.batchSize,
  };
}

// ---------------------------------------------------------------------------------------
// The rounds (parent).

/**
 * Runs `rounds` rounds of: autocommit, the writer at each concurrency, batched (backwards
 * in odd rounds), each measurement in a fresh process. Batched inserts as many rows as the
 * writer at the highest concurrency counted in its latest window (before any, defaultRows).
 */
export async function benchWrites({
  tmp,
  rounds,
  concurrencies,
  warmupMs,
  durationMs,
  rowBytes = 1024,
  batchSize = 1000,
  maxRows = 400_000,
  defaultRows = 50_000,
  log,
}) {
  const dir = join(tmp, 'writes');
  const top = Math.max(...concurrencies);
  const modes = [
    { key: 'autocommit', mode: 'autocommit' },
    ...concurrencies.map((c) => ({ key: `writer${c}`, mode: 'writer', concurrency: c })),
    { key: 'batched', mode: 'batched' },
  ];
  const runs = Object.fromEntries(modes.map((m) => [m.key, []]));
  let batchedRows = defaultRows;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? modes : [...modes].reverse();
    for (const m of order) {
      const opts = { ...m, dir, rowBytes, warmupMs, durationMs, maxRows, batchSize };
      if (m.mode === 'batched') opts.rows = batchedRows;
      const res = await runJsonChild([SELF, JSON.stringify(opts)], {
        timeoutMs: warmupMs + durationMs + 120_000,
      });
      if (res.inserts === 0)
        throw new Error(`no inserts counted for ${m.key}: ${JSON.stringify(res)}`);
      if (m.mode === 'writer' && m.concurrency === top) batchedRows = res.inserts;
      runs[m.key].push(res);
      const label =
        m.mode === 'writer'
          ? `writer C=${m.concurrency}`
          : m.mode === 'batched'
            ? `batched ${batchSize}`
            : m.mode;
      log(
        `  round ${r + 1}/${rounds} ${label.padEnd(14)} ${Math.round(res.rate)} inserts/s` +
          ` (${res.inserts} in ${Math.round(res.windowMs)} ms, ${res.commits} commits =` +
          ` ${round(res.insertsPerCommit, 1)}/commit, ${Math.round(res.perCpuSecond)} inserts/CPU-s` +
          (res.latencyMs ? `, p50 ${round(res.latencyMs.p50, 2)} ms` : '') +
          `)`,
      );
    }
  }
  const summary = (xs) => ({
    medianRate: round(median(xs.map((x) => x.rate)), 0),
    medianPerCpuSecond: round(median(xs.map((x) => x.perCpuSecond)), 0),
    medianCpuShare: round(median(xs.map((x) => x.cpuMs / x.cpuWindowMs)), 3),
    medianInsertsPerCommit: round(median(xs.map((x) => x.insertsPerCommit)), 1),
    ...(xs[0].latencyMs
      ? {
          medianLatencyP50Ms: round(median(xs.map((x) => x.latencyMs.p50)), 3),
          medianLatencyP99Ms: round(median(xs.map((x) => x.latencyMs.p99)), 3),
        }
      : {}),
    rounds: xs.map((x) => ({
      rate: round(x.rate, 0),
      inserts: x.inserts,
      windowMs: x.windowMs,
      commits: x.commits,
      insertsPerCommit: round(x.insertsPerCommit, 2),
      perCpuSecond: round(x.perCpuSecond, 0),
      cpuMs: x.cpuMs,
      cpuWindowMs: x.cpuWindowMs,
      ...(x.latencyMs ? { p50: round(x.latencyMs.p50, 3), p99: round(x.latencyMs.p99, 3) } : {}),
      rowsInTable: x.rowsInTable,
      dbBytes: x.dbBytes,
      walBytes: x.walBytes,
      ...(x.capped ? { capped: true } : {}),
    })),
  });
  const out = {
    rowBytes: runs.autocommit[0].rowBytes,
    pragmas: runs.autocommit[0].pragmas,
    concurrencies,
    warmupMs,
    durationMs,
    batchSize,
    autocommit: summary(runs.autocommit),
    batched: summary(runs.batched),
    writer: Object.fromEntries(concurrencies.map((c) => [c, summary(runs[`writer${c}`])])),
  };
  const ratios = (key) => {
    const w = runs[key];
    const paired = (base) => round(median(w.map((x, i) => x.rate / runs[base][i].rate)), 3);
    const s = out.writer[key.slice('writer'.length)];
    return {
      vsAutocommit: round(s.medianRate / out.autocommit.medianRate, 3),
      vsAutocommitPaired: paired('autocommit'),
      vsAutocommitPerCpu: round(s.medianPerCpuSecond / out.autocommit.medianPerCpuSecond, 3),
      vsBatched: round(s.medianRate / out.batched.medianRate, 3),
      vsBatchedPaired: paired('batched'),
      vsBatchedPerCpu: round(s.medianPerCpuSecond / out.batched.medianPerCpuSecond, 3),
    };
  };
  out.ratios = Object.fromEntries(concurrencies.map((c) => [c, ratios(`writer${c}`)]));
  out.top = top;
  return out;
}

if (process.argv[1] === SELF) {
  const o = {
    mode: 'writer',
    concurrency: 1,
    rowBytes: 1024,
    warmupMs: 500,
    durationMs: 2000,
    maxRows: 400_000,
    batchSize: 1000,
    rows: 50_000,
    ...JSON.parse(process.argv[2] ?? '{}'),
  };
  if (!o.dir) throw new Error('writer-bench.js needs a "dir" for its database file');
  process.stdout.write(`${JSON.stringify(await measure(o))}\n`);
}
