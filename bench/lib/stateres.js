// Benchmark: state resolution (issue 4). Two forks of a room of version 10 whose states hold
// `stateEvents` entries each (members, settings, power levels...) and differ on `conflicts`
// keys: a power levels change and a kick (power events), member display names and room
// settings. The events are stored in a fresh SQLite file the way the persist path stores
// them (events, event_json, event_auth and the event_auth_chain index), then resolved with
// Hearth's resolveStateGroups (server/events/state-res/) reading that database (storeFetch),
// and again reading the same events from memory (memoryFetch, no SQL at all).
//
// Baseline, measured in the same run: what any resolution must at least do with these maps
// in plain JavaScript: copy both 10,000-entry maps, compare them key by key into the agreed
// and the conflicted keys, and sort the conflicted keys. Every figure is the median of
// `runs` interleaved runs (ABBA order), after one warm-up run of each.
//
// The server code is bundled on the fly from the TypeScript sources with esbuild (as
// scripts/build.js does for dist/hearth.mjs, which does not export the resolver).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { importServerCode } from './server-code.js';
import { ROOT } from './servers.js';
import { median, performance, round } from './util.js';

const ROOM = '!bench:bench.localhost';
const ALICE = '@alice:bench.localhost';
const KEY = (type, stateKey) => `${type}\u0000${stateKey}`;

/** What the benchmark needs of server/, bundled from the TypeScript sources. */
function loadServerCode() {
  return importServerCode('stateres', [
    "export { resolveStateGroups, storeFetch, memoryFetch } from './server/events/state-res/index.js';",
    "export { openSqlite, sqliteQueryable } from './server/db/sqlite.js';",
    "export { migrate, listMigrations } from './server/db/migrate.js';",
    "export { insertEvent, insertAuthChain } from './server/events/store.js';",
    "export { roomVersion } from './server/events/room-versions.js';",
  ]);
}

/**
 * The room: a trunk (create, Alice's join, power levels, public join rules, `members`
 * joins, 50 settings), then two forks of `conflicts` changes each, on the same keys.
 */
function makeRoom(stateEvents, conflicts) {
  const events = new Map();
  let n = 0;
  const add = (state, type, sender, stateKey, content, authKeys) => {
    const id = `$e${n}`;
    const auth = authKeys.map((k) => state.get(k)).filter((x) => x !== undefined);
    events.set(id, {
      event_id: id,
      type,
      sender,
      room_id: ROOM,
      state_key: stateKey,
      content,
      origin_server_ts: 1_700_000_000_000 + n,
      depth: n + 1,
      prev_events: [],
      auth_events: auth,
      hashes: { sha256: 'x' },
      signatures: {},
    });
    n++;
    state.set(KEY(type, stateKey), id);
    return id;
  };
  const CREATE = KEY('m.room.create', '');
  const PL = KEY('m.room.power_levels', '');
  const JR = KEY('m.room.join_rules', '');
  const member = (u) => KEY('m.room.member', u);
  const user = (i) => `@m${i}:bench.localhost`;
  const settings = 50;
  const memberCount = stateEvents - 4 - settings;
  const trunk = new Map();
  add(trunk, 'm.room.create', ALICE, '', { room_version: '10', creator: ALICE }, []);
  add(trunk, 'm.room.member', ALICE, ALICE, { membership: 'join' }, [CREATE]);
  add(trunk, 'm.room.power_levels', ALICE, '', { users: { [ALICE]: 100 } }, [
    CREATE,
    member(ALICE),
  ]);
  add(trunk, 'm.room.join_rules', ALICE, '', { join_rule: 'public' }, [CREATE, PL, member(ALICE)]);
  for (let i = 0; i < memberCount; i++) {
    add(trunk, 'm.room.member', user(i), user(i), { membership: 'join' }, [CREATE, PL, JR]);
  }
  for (let i = 0; i < settings; i++) {
    add(trunk, 'org.bench.setting', ALICE, `k${i}`, { v: 0 }, [CREATE, PL, member(ALICE)]);
  }
  // 1 power levels change (fork A) + 1 kick against a rename (m0) + renames + settings.
  const renames = Math.max(0, Math.min(memberCount - 1, conflicts - 2 - settings));
  const changedSettings = Math.min(settings, conflicts - 2 - renames);
  const fork = (side) => {
    const s = new Map(trunk);
    if (side === 'a') {
      add(s, 'm.room.power_levels', ALICE, '', { users: { [ALICE]: 100, [user(1)]: 10 } }, [
        CREATE,
        PL,
        member(ALICE),
      ]);
      add(s, 'm.room.member', user(0), user(0), { membership: 'join', displayname: 'a' }, [
        CREATE,
        PL,
        JR,
        member(user(0)),
      ]);
    } else {
      add(s, 'm.room.member', ALICE, user(0), { membership: 'leave' }, [
        CREATE,
        PL,
        member(ALICE),
        member(user(0)),
      ]);
    }
    for (let i = 1; i <= renames; i++) {
      add(s, 'm.room.member', user(i), user(i), { membership: 'join', displayname: side }, [
        CREATE,
        PL,
        JR,
        member(user(i)),
      ]);
    }
    for (let i = 0; i < changedSettings; i++) {
      add(s, 'org.bench.setting', ALICE, `k${i}`, { v: side }, [CREATE, PL, member(ALICE)]);
    }
    return s;
  };
  const a = fork('a');
  const b = fork('b');
  return { events, a, b };
}

/** Stores the events as the persist path does: row, JSON, auth rows and chain index. */
async function storeRoom(code, db, events) {
  const q = code.sqliteQueryable(db);
  db.exec('BEGIN');
  for (const e of events.values()) {
    const { event_id: id, ...pdu } = e;
    await code.insertEvent(q, {
      eventId: id,
      roomId: ROOM,
      type: e.type,
      stateKey: e.state_key ?? null,
      sender: e.sender,
      depth: e.depth,
      originServerTs: e.origin_server_ts,
      outlier: false,
      rejectedReason: null,
      stateGroup: null,
      json: JSON.stringify(pdu),
    });
    await code.insertAuthChain(q, id, e.auth_events, e.state_key !== undefined);
  }
  db.exec('COMMIT');
  return q;
}

/** A fetch that counts the time spent in it (the database reads, for storeFetch). */
function timed(fetch) {
  const t = { ms: 0, calls: 0 };
  const wrap =
    (fn) =>
    async (...args) => {
      const t0 = performance.now();
      try {
        return await fn(...args);
      } finally {
        t.ms += performance.now() - t0;
        t.calls++;
      }
    };
  return { fetch: { events: wrap(fetch.events), authChain: wrap(fetch.authChain) }, t };
}

/** The baseline: copy both maps, split them key by key, sort the conflicted keys. */
function bareSplit(a, b) {
  const x = new Map(a);
  const y = new Map(b);
  const agreed = new Map();
  const conflicted = [];
  for (const [k, v] of x) {
    if (y.get(k) === v) agreed.set(k, v);
    else conflicted.push(k);
  }
  for (const k of y.keys()) if (!x.has(k)) conflicted.push(k);
  conflicted.sort();
  return { agreed, conflicted };
}

export async function benchStateRes({ tmp, runs, stateEvents = 10_000, conflicts = 100, log }) {
  const code = await loadServerCode();
  const v = code.roomVersion('10');
  const { events, a, b } = makeRoom(stateEvents, conflicts);
  const split = bareSplit(a, b);
  log(
    `  room: ${events.size} events; states of ${a.size} and ${b.size} entries, ${split.conflicted.length} conflicted keys`,
  );
  const dir = join(tmp, 'stateres');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'stateres.sqlite');
  const db = code.openSqlite(file);
  try {
    code.migrate(db, { migrations: code.listMigrations(join(ROOT, 'server', 'db', 'migrations')) });
    const t0 = performance.now();
    const q = await storeRoom(code, db, events);
    log(`  stored with the auth-chain index in ${Math.round(performance.now() - t0)} ms`);

    const kinds = {
      store: async () => {
        const { fetch, t } = timed(code.storeFetch(q));
        const s = performance.now();
        const out = await code.resolveStateGroups(v, [a, b], fetch);
        return { ms: performance.now() - s, readMs: t.ms, reads: t.calls, out };
      },
      memory: async () => {
        const s = performance.now();
        const out = await code.resolveStateGroups(v, [a, b], code.memoryFetch(events));
        return { ms: performance.now() - s, out };
      },
      bare: async () => {
        const s = performance.now();
        const out = bareSplit(a, b);
        return { ms: performance.now() - s, out };
      },
    };
    // Warm-up (JIT, SQLite page cache), and the check that both fetches agree.
    const first = await kinds.store();
    const mem = await kinds.memory();
    await kinds.bare();
    const same =
      first.out.size === mem.out.size && [...first.out].every(([k, id]) => mem.out.get(k) === id);
    if (!same) throw new Error('state resolution from the database and from memory disagree');
    const samples = { store: [], memory: [], bare: [], readMs: [] };
    const order = ['store', 'memory', 'bare'];
    for (let r = 0; r < runs; r++) {
      const seq = r % 2 === 0 ? order : [...order].reverse();
      for (const kind of seq) {
        const res = await kinds[kind]();
        samples[kind].push(res.ms);
        if (kind === 'store') samples.readMs.push(res.readMs);
      }
    }
    const result = {
      roomVersion: v.id,
      events: events.size,
      stateEntries: a.size,
      conflictedKeys: split.conflicted.length,
      resolvedEntries: first.out.size,
      runs,
      store: {
        medianMs: round(median(samples.store), 1),
        samplesMs: samples.store.map((x) => round(x, 1)),
      },
      storeReads: { medianMs: round(median(samples.readMs), 1), calls: first.reads },
      memory: {
        medianMs: round(median(samples.memory), 1),
        samplesMs: samples.memory.map((x) => round(x, 1)),
      },
      bare: {
        medianMs: round(median(samples.bare), 2),
        samplesMs: samples.bare.map((x) => round(x, 2)),
      },
    };
    log(
      `  resolve (SQLite): median ${result.store.medianMs} ms (reads ${result.storeReads.medianMs} ms in ${first.reads} calls);` +
        ` from memory ${result.memory.medianMs} ms; bare split ${result.bare.medianMs} ms`,
    );
    return result;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
