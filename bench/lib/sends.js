// Benchmark 6 (and the RSS figures of 9): message sends. 50 clients, 5 in each of 10 rooms,
// each a registered user joined to its room, each sending its next m.room.message as soon as
// the previous one is answered. Baseline in the same run: sqlite-server.js, bare node:http
// doing one better-sqlite3 INSERT per request, driven by the same load generator (a separate
// process, raw keep-alive connections). Rounds in ABBA order. Every event id answered (warm-up
// included) is checked against the database after the server stops. The server's RSS is
// read settled after start (before any set-up) and after the last round.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile } from './cpuprofile.js';
import {
  createPublicRoom,
  inPool,
  joinRoom,
  registerUsers,
  sendPathPrefix,
} from './matrix-setup.js';
import { runJsonChild, stop } from './procs.js';
import { LIFTED_ROOM_LIMITS, makeInstance, startBaseline, startHearth } from './servers.js';
import { abba, median, perCpuSecond, performance, readRss, round, sleep } from './util.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));
const SQLITE_SERVER = fileURLToPath(new URL('./sqlite-server.js', import.meta.url));
const BODY = { msgtype: 'm.text', body: 'Hello from the sends benchmark: a short chat message.' };

/** Every event id a set of load generator runs wrote to their id files. */
function answeredIds(files) {
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
}

/**
 * Opens `dbFile` read-only after its server stopped and checks that each answered id is in
 * `sql`'s result; returns { answered, stored, missing, sampleMissing }.
 */
async function verifyStored(dbFile, sql, ids) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const stored = new Set(db.prepare(sql).pluck().all());
    const missing = ids.filter((id) => !stored.has(id));
    return {
      answered: ids.length,
      distinct: new Set(ids).size,
      stored: stored.size,
      missing: missing.length,
      sampleMissing: missing.slice(0, 5),
    };
  } finally {
    db.close();
  }
}

export async function benchSends({
  template,
  tmp,
  rounds,
  rooms,
  perRoom,
  initialWarmupMs,
  warmupMs,
  durationMs,
  settledMs,
  cpuProfDir,
  log,
}) {
  const inst = await makeInstance(template, join(tmp, 'sends'), {
    logLevel: 'warn',
    bcryptRounds: 4,
    config: LIFTED_ROOM_LIMITS,
  });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const hearth = await startHearth(inst, { nodeArgs });
  const baselineDb = join(tmp, 'sends-baseline.db');
  let bare;
  let hearthStopped = false;
  try {
    bare = await startBaseline([SQLITE_SERVER, baselineDb]);
    // Idle RSS of a fresh server left alone (V8 shrinks its heap a few seconds in; see
    // startup.js), read before any set-up so it is the server's own cost.
    await sleep(settledMs);
    const idleRss = { hearth: readRss(hearth.child.pid), bare: readRss(bare.child.pid) };
    log(
      `  idle RSS after ${settledMs / 1000} s: Hearth ${round(idleRss.hearth.rss / 2 ** 20)} MiB`,
    );

    const t0 = performance.now();
    const users = await registerUsers(inst, 'sender', rooms * perRoom);
    const roomIds = await inPool(
      Array.from({ length: rooms }, (_, r) => r),
      4,
      async (r) => {
        const members = users.slice(r * perRoom, (r + 1) * perRoom);
        const roomId = await createPublicRoom(inst.port, members[0], `sends ${r}`);
        for (const m of members.slice(1)) await joinRoom(inst.port, m, roomId);
        return roomId;
      },
    );
    const setupMs = performance.now() - t0;
    log(
      `  set-up: ${users.length} users in ${rooms} rooms through the API in ${Math.round(setupMs)} ms`,
    );
    const targets = users.map((u, i) => ({
      path: sendPathPrefix(roomIds[Math.floor(i / perRoom)]),
      token: u.token,
    }));
    const servers = {
      hearth: { port: inst.port, pid: hearth.child.pid, idFiles: [] },
      bare: { port: bare.port, pid: bare.child.pid, idFiles: [] },
    };
    const base = {
      method: 'PUT',
      body: BODY,
      client: 'raw',
      targets,
      connections: targets.length,
      maxRequests: 2_000_000,
    };
    const runLoad = async (name, opts) => {
      const idsFile = join(tmp, `sends-${name}-${servers[name].idFiles.length}.ids`);
      servers[name].idFiles.push(idsFile);
      return runJsonChild(
        [
          LOADGEN,
          JSON.stringify({
            ...base,
            ...opts,
            port: servers[name].port,
            serverPid: servers[name].pid,
            idsFile,
          }),
        ],
        { timeoutMs: opts.warmupMs + opts.durationMs + 60_000 },
      );
    };
    // One untimed run each first, so both are JIT-warm before any round counts.
    for (const name of ['hearth', 'bare']) {
      await runLoad(name, { uniqueSuffix: 'w.', warmupMs: 0, durationMs: initialWarmupMs });
    }
    const runs = { hearth: [], bare: [] };
    for (let r = 0; r < rounds; r++) {
      for (const name of abba(r, 'hearth', 'bare')) {
        const res = await runLoad(name, { uniqueSuffix: `r${r}.`, warmupMs, durationMs });
        if (res.ok === 0) throw new Error(`no successful sends to ${name}: ${JSON.stringify(res)}`);
        res.perCpuSecond = perCpuSecond(res.ok, res.serverCpuMs);
        runs[name].push(res);
        log(
          `  round ${r + 1}/${rounds} ${name.padEnd(6)} ${Math.round(res.rps)} events/s` +
            ` (p50 ${round(res.latencyMs.median, 2)} ms, p99 ${round(res.latencyMs.p99, 1)} ms,` +
            ` server CPU ${round(res.serverCpuMs, 0)} ms, client CPU ${round(res.clientCpuMs, 0)} ms,` +
            ` errors ${res.errorCount}, statuses ${JSON.stringify(res.statuses)})`,
        );
      }
    }
    const rssAfter = { hearth: readRss(hearth.child.pid), bare: readRss(bare.child.pid) };
    await stop(bare.child);
    await stop(hearth.child);
    hearthStopped = true;

    const verify = {
      hearth: await verifyStored(
        inst.dbFile,
        "SELECT event_id FROM events WHERE type = 'm.room.message'",
        answeredIds(servers.hearth.idFiles),
      ),
      bare: await verifyStored(
        baselineDb,
        'SELECT event_id FROM events',
        answeredIds(servers.bare.idFiles),
      ),
    };
    log(
      `  verified: Hearth answered ${verify.hearth.answered} sends, ${verify.hearth.missing} missing` +
        ` from its database (${verify.hearth.stored} messages stored); baseline ${verify.bare.missing} missing`,
    );
    if (verify.hearth.missing > 0 || verify.hearth.distinct !== verify.hearth.answered) {
      throw new Error(`answered events missing or duplicated: ${JSON.stringify(verify.hearth)}`);
    }

    const summary = (xs) => ({
      medianRps: round(median(xs.map((x) => x.rps)), 0),
      medianLatencyMs: round(median(xs.map((x) => x.latencyMs.median)), 2),
      p99LatencyMs: round(median(xs.map((x) => x.latencyMs.p99)), 2),
      medianPerCpuSecond: round(median(xs.map((x) => x.perCpuSecond)), 0),
      medianCpuShare: round(median(xs.map((x) => x.serverCpuMs / x.cpuWindowMs)), 3),
      rounds: xs.map((x) => ({
        rps: round(x.rps, 0),
        perCpuSecond: round(x.perCpuSecond, 0),
        serverCpuMs: x.serverCpuMs,
        clientCpuMs: round(x.clientCpuMs, 0),
        cpuWindowMs: round(x.cpuWindowMs, 0),
        p50: round(x.latencyMs.median, 3),
        p99: round(x.latencyMs.p99, 3),
        max: round(x.latencyMs.max, 1),
        errors: x.errorCount,
        statuses: x.statuses,
      })),
    });
    const h = summary(runs.hearth);
    const b = summary(runs.bare);
    return {
      clients: targets.length,
      rooms,
      perRoom,
      setupMs: round(setupMs, 0),
      initialWarmupMs,
      warmupMs,
      durationMs,
      hearth: h,
      bare: b,
      ratio: round(h.medianRps / b.medianRps, 3),
      pairedRatioMedian: round(median(runs.hearth.map((x, i) => x.rps / runs.bare[i].rps)), 3),
      perCpuRatio: round(h.medianPerCpuSecond / b.medianPerCpuSecond, 3),
      verify,
      rss: {
        settledMs,
        idle: { hearth: idleRss.hearth.rss, bare: idleRss.bare.rss },
        afterSends: {
          hearth: rssAfter.hearth.rss,
          hearthPeak: rssAfter.hearth.hwm,
          bare: rssAfter.bare.rss,
        },
      },
      profile: cpuProfDir ? profileSummary(cpuProfDir, hearth.child.pid) : undefined,
    };
  } finally {
    if (bare) await stop(bare.child);
    if (!hearthStopped) await stop(hearth.child);
  }
}

/** The top self-time functions of the server's CPU profile (node writes it at exit). */
function profileSummary(dir, pid) {
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
  if (!file) return { error: `no .cpuprofile for pid ${pid} in ${dir}` };
  return { file: join(dir, file), ...summariseProfile(join(dir, file), 30) };
}
