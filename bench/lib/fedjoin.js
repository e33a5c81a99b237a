// Benchmark: joining a room whose state holds 10,000 members from a second local Hearth
// (issue 4).
//
// Two real Hearth processes federate as `hearth demo` sets them up (fed-setup.js: a local
// CA, TLS federation listeners, server names localhost:PORT). On A, Alice makes
// a public room; it is filled with members from a third server, the signer in the bench
// process (fed-setup.js): one of its users joins through make_join/send_join, the others'
// joins arrive in transactions of 50 PDUs, each checked and persisted by A as any remote
// join is. Registering 10,000 users through A's client API would take minutes (bcrypt);
// this way every member event is real, signed and checked, and the room's state is what a
// big room with many remote members looks like.
//
// Timed, on a fresh B each run: from Bob's POST /_matrix/client/v3/join/{roomId}?via=A until
// B's incremental /sync shows the room joined with its state (the room is usable). B's join
// goes through the real transport: make_join and send_join to A over TLS, the signer's key
// fetched from the signer over TLS, every state event's signature and auth checked. Also
// read: B's peak RSS (VmHWM) before the join and after, and its RSS after.
//
// Baseline, interleaved with the runs: bare node in its own process parsing the room's state
// and auth chain as another server answers it (A's /state answer, the same events as
// send_join's answer) and inserting one SQLite row per event in one transaction.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { summariseProfile } from './cpuprofile.js';
import { runJsonChild, stop } from './procs.js';
import { registerUser, startHearth } from './servers.js';
import { api, createPublicRoom } from './matrix-setup.js';
import {
  assertAccepted,
  createPki,
  loadFedCode,
  makeFederatingHearth,
  nextEvent,
  signerJoin,
  startSigner,
  transactionBody,
} from './fed-setup.js';
import { MiB, abba, median, performance, readRss, round, sleep } from './util.js';

const BARE_STATE_INSERT = `const { readFileSync } = require('node:fs');
const Database = require(process.env.BENCH_SQLITE);
const text = readFileSync(process.env.BENCH_STATE, 'utf8');
const db = new Database(process.env.BENCH_DB);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE events (n INTEGER PRIMARY KEY, room_id TEXT, type TEXT, state_key TEXT, json TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO events (room_id, type, state_key, json) VALUES (?, ?, ?, ?)');
const t0 = performance.now();
const answer = JSON.parse(text);
const events = [...answer.pdus, ...answer.auth_chain];
db.transaction(() => {
  for (const e of events) insert.run(e.room_id ?? null, e.type, e.state_key ?? null, JSON.stringify(e));
})();
const ms = performance.now() - t0;
db.close();
console.log(JSON.stringify({ ms, rows: events.length }));`;

/** Fills the room with `count` joins of the signer's users, 50 to a transaction. */
async function fillRoom(code, signer, to, chain, count, log) {
  const t0 = performance.now();
  let txn = 0;
  for (let done = 0; done < count;) {
    const pdus = [];
    const ids = [];
    for (let i = 0; i < 50 && done < count; i++, done++) {
      const userId = signer.userId(`m${done + 1}`);
      const built = nextEvent(code, signer, chain, {
        type: 'm.room.member',
        stateKey: userId,
        sender: userId,
        content: { membership: 'join', displayname: `Member ${done + 1}` },
        authEvents: chain.joinAuth,
      });
      chain.members.set(userId, built.eventId);
      pdus.push(built.pdu);
      ids.push(built.eventId);
    }
    const r = await signer.requestOk(
      to,
      'PUT',
      `/_matrix/federation/v1/send/fill${++txn}`,
      transactionBody(signer, pdus),
    );
    assertAccepted(r.json, ids);
    if (txn % 40 === 0) {
      log(`    ${done} joins in ${Math.round((performance.now() - t0) / 1000)} s`);
    }
  }
  return performance.now() - t0;
}

/** The top self-time functions of a server's CPU profile (node writes it at exit). */
function profileSummary(dir, pid) {
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
  if (!file) return { error: `no .cpuprofile for pid ${pid} in ${dir}` };
  return { file: join(dir, file), ...summariseProfile(join(dir, file)) };
}

/**
 * One run: a fresh B, Bob joins the room through A; times and B's memory (and B's CPU
 * profile with `cpuProfDir`).
 */
async function joinOnce(code, pki, dir, a, roomId, cpuProfDir) {
  const instance = await makeFederatingHearth(code, pki, dir);
  const b = await startHearth(instance, {
    nodeArgs: cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [],
  });
  let profiled = false;
  try {
    const bob = await registerUser(instance, 'bob', 'bench password');
    const user = { token: bob.access_token };
    const first = await api(instance.port, user.token, 'GET', '/sync?timeout=0');
    await sleep(500);
    const before = readRss(b.child.pid);
    const t0 = performance.now();
    const via = encodeURIComponent(a.serverName);
    await api(
      instance.port,
      user.token,
      'POST',
      `/join/${encodeURIComponent(roomId)}?via=${via}`,
      {},
    );
    const joinMs = performance.now() - t0;
    let since = first.next_batch;
    let room;
    let syncBytes = 0;
    for (let i = 0; i < 60 && !room; i++) {
      const s = await api(
        instance.port,
        user.token,
        'GET',
        `/sync?timeout=10000&since=${encodeURIComponent(since)}`,
      );
      syncBytes = JSON.stringify(s).length;
      room = s.rooms?.join?.[roomId];
      since = s.next_batch;
    }
    const usableMs = performance.now() - t0;
    if (!room) throw new Error(`B's /sync never showed ${roomId} joined`);
    const state = [...(room.state?.events ?? []), ...(room.timeline?.events ?? [])].filter(
      (e) => e.state_key !== undefined,
    );
    const members = new Set(
      state
        .filter((e) => e.type === 'm.room.member' && e.content?.membership === 'join')
        .map((e) => e.state_key),
    );
    const after = readRss(b.child.pid);
    await stop(b.child);
    profiled = Boolean(cpuProfDir);
    return {
      ...(profiled ? { profile: profileSummary(cpuProfDir, b.child.pid) } : {}),
      serverName: instance.serverName,
      joinMs,
      usableMs,
      syncStateEvents: state.length,
      syncJoinedMembers: members.size,
      syncBytes,
      hwmBeforeBytes: before.hwm,
      hwmAfterBytes: after.hwm,
      rssAfterBytes: after.rss,
    };
  } finally {
    if (!profiled) await stop(b.child);
  }
}

/** `cpuProfDir`: run each B under node --cpu-prof; the first run's profile is summarised. */
export async function benchFedJoin({ tmp, runs, members = 10_000, cpuProfDir, log }) {
  const code = await loadFedCode();
  const dir = join(tmp, 'fedjoin');
  mkdirSync(join(dir, 'a'), { recursive: true });
  const pki = createPki(code, join(dir, 'pki'));
  const signer = await startSigner(code, pki);
  const aInstance = await makeFederatingHearth(code, pki, join(dir, 'a'));
  const to = { serverName: aInstance.serverName, port: aInstance.port };
  let a;
  try {
    a = await startHearth(aInstance);
    const alice = await registerUser(aInstance, 'alice', 'bench password');
    const roomId = await createPublicRoom(aInstance.port, { token: alice.access_token }, 'fedjoin');
    const chain = await signerJoin(code, signer, to, {
      roomId,
      localpart: 'm0',
      token: alice.access_token,
    });
    // Alice and m0 are members already.
    const fillCount = Math.max(0, members - 2);
    log(
      `  A is ${aInstance.serverName} (room version ${chain.version.id}); filling the room with ${members} members (joins of ${signer.serverName}'s users in transactions of 50)`,
    );
    const fillMs = await fillRoom(code, signer, to, chain, fillCount, log);
    log(
      `  filled in ${round(fillMs / 1000, 1)} s (${Math.round((fillCount * 1000) / fillMs)} joins/s)`,
    );

    const state = await signer.requestOk(
      to,
      'GET',
      `/_matrix/federation/v1/state/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(chain.head)}`,
    );
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, state.text);
    const stateEvents = state.json.pdus.length;
    const authChainEvents = state.json.auth_chain.length;
    log(
      `  the room's state: ${stateEvents} events, auth chain ${authChainEvents} (${round(state.bytes / MiB, 1)} MiB of JSON)`,
    );
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    let bareN = 0;
    let bN = 0;
    const kinds = {
      join: () => joinOnce(code, pki, join(dir, `b${++bN}`), to, roomId, cpuProfDir),
      bare: () =>
        runJsonChild(['-e', BARE_STATE_INSERT], {
          env: {
            BENCH_SQLITE: sqlite,
            BENCH_STATE: stateFile,
            BENCH_DB: join(dir, `bare${++bareN}.sqlite`),
          },
          timeoutMs: 120_000,
        }),
    };
    const joins = [];
    const bare = [];
    for (let r = 0; r < runs; r++) {
      for (const kind of abba(r, 'join', 'bare')) {
        if (kind === 'join') {
          const j = await kinds.join();
          joins.push(j);
          log(
            `  run ${r + 1}: join answered in ${round(j.joinMs, 0)} ms, room in /sync at ${round(j.usableMs, 0)} ms` +
              ` (${j.syncStateEvents} state events, ${j.syncJoinedMembers} joined); B's peak RSS ${round(j.hwmAfterBytes / MiB, 0)} MiB` +
              ` (${round(j.hwmBeforeBytes / MiB, 0)} before), RSS after ${round(j.rssAfterBytes / MiB, 0)} MiB`,
          );
        } else {
          bare.push(await kinds.bare());
        }
      }
    }
    const med = (f) => median(joins.map(f));
    const result = {
      members,
      roomVersion: chain.version.id,
      fill: {
        joins: fillCount,
        ms: round(fillMs, 0),
        perSec: round((fillCount * 1000) / fillMs, 0),
      },
      stateAnswer: { stateEvents, authChainEvents, bytes: state.bytes },
      runs,
      hearth: {
        medianUsableMs: round(
          med((j) => j.usableMs),
          0,
        ),
        medianJoinMs: round(
          med((j) => j.joinMs),
          0,
        ),
        medianPeakRssBytes: med((j) => j.hwmAfterBytes),
        medianPeakRssBeforeBytes: med((j) => j.hwmBeforeBytes),
        medianRssAfterBytes: med((j) => j.rssAfterBytes),
        runs: joins.map((j) => ({
          ...j,
          profile: undefined,
          joinMs: round(j.joinMs, 0),
          usableMs: round(j.usableMs, 0),
        })),
      },
      ...(joins[0]?.profile ? { profile: joins[0].profile } : {}),
      bare: {
        medianMs: round(median(bare.map((b) => b.ms)), 0),
        rows: bare[0]?.rows,
        samplesMs: bare.map((b) => round(b.ms, 0)),
      },
    };
    log(
      `  join of a ${members}-member room: usable after ${result.hearth.medianUsableMs} ms (median; join answered at ${result.hearth.medianJoinMs} ms),` +
        ` B's peak RSS ${round(result.hearth.medianPeakRssBytes / MiB, 0)} MiB; bare parse + insert ${result.bare.medianMs} ms`,
    );
    return result;
  } finally {
    if (a) await stop(a.child);
    await signer.close();
  }
}
