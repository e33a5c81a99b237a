// Benchmarks 3 and 4: /versions throughput against a bare node:http server, and password
// login throughput against raw bcrypt compare() at the same cost. The server under test and
// its baseline are measured in alternating rounds by a separate load-generating process,
// in ABBA order (A B, B A, A B, ...) so a slow drift in background load hits both alike,
// and the medians over rounds are compared. Each round also records the CPU time the
// server (or the bcrypt process) used during the window, giving a CPU-normalised figure
// (work per CPU-second) that other processes on the machine barely disturb.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonChild, stop } from './procs.js';
import {
  VERSIONS_PATH,
  loginBody,
  makeInstance,
  registerUser,
  startBare,
  startHearth,
  storedBcryptCost,
} from './servers.js';
import { abba, median, perCpuSecond, performance, readRss, request, round } from './util.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));
const BCRYPT_BENCH = fileURLToPath(new URL('./bcrypt-bench.js', import.meta.url));

function loadgen(opts) {
  const boundMs = opts.warmupMs + opts.durationMs + (opts.timeoutMs ?? 30_000) + 30_000;
  return runJsonChild([LOADGEN, JSON.stringify(opts)], { timeoutMs: boundMs });
}

export async function benchVersions({
  template,
  tmp,
  rounds,
  connections,
  client,
  initialWarmupMs,
  warmupMs,
  durationMs,
  maxRequests,
  log,
}) {
  const inst = await makeInstance(template, join(tmp, 'versions'), { logLevel: 'warn' });
  const hearth = await startHearth(inst);
  let bare;
  try {
    bare = await startBare(hearth.body);
    const check = await request(bare.port, VERSIONS_PATH);
    if (check.body !== hearth.body) {
      throw new Error('the bare server does not answer the same body as Hearth');
    }
    const servers = {
      hearth: { port: inst.port, pid: hearth.child.pid },
      bare: { port: bare.port, pid: bare.child.pid },
    };
    const base = { path: VERSIONS_PATH, client, connections, maxRequests };
    // One untimed run each first, so both are JIT-warm before any round counts.
    for (const name of ['hearth', 'bare']) {
      await loadgen({
        ...base,
        port: servers[name].port,
        warmupMs: 0,
        durationMs: initialWarmupMs,
      });
    }
    const runs = { hearth: [], bare: [] };
    for (let r = 0; r < rounds; r++) {
      for (const name of abba(r, 'hearth', 'bare')) {
        const s = servers[name];
        const res = await loadgen({
          ...base,
          port: s.port,
          serverPid: s.pid,
          warmupMs,
          durationMs,
        });
        if (res.ok === 0) {
          throw new Error(`no successful /versions answers from ${name}: ${JSON.stringify(res)}`);
        }
        res.perCpuSecond = perCpuSecond(res.ok, res.serverCpuMs);
        runs[name].push(res);
        log(
          `  round ${r + 1}/${rounds} ${name.padEnd(6)} ${Math.round(res.rps)} req/s` +
            ` (p50 ${round(res.latencyMs.median, 2)} ms, server CPU ${round(res.serverCpuMs, 0)} ms` +
            ` = ${Math.round(res.perCpuSecond)} req/CPU-s, client CPU ${round(res.clientCpuMs, 0)} ms,` +
            ` errors ${res.errorCount})`,
        );
      }
    }
    const rssAfterLoad = readRss(hearth.child.pid).rss;
    const bareRssAfterLoad = readRss(bare.child.pid).rss;
    const summary = (xs) => ({
      medianRps: round(median(xs.map((x) => x.rps)), 0),
      medianPerCpuSecond: round(median(xs.map((x) => x.perCpuSecond)), 0),
      // The share of one core the server got during the window: near 100% when it was the
      // bottleneck, as intended; well below when the machine's other work starved it.
      medianCpuShare: round(median(xs.map((x) => x.serverCpuMs / x.cpuWindowMs)), 3),
      medianLatencyMs: round(median(xs.map((x) => x.latencyMs.median)), 3),
      p99LatencyMs: round(median(xs.map((x) => x.latencyMs.p99)), 3),
      rounds: xs.map((x) => ({
        rps: round(x.rps, 0),
        perCpuSecond: round(x.perCpuSecond, 0),
        serverCpuMs: x.serverCpuMs,
        clientCpuMs: round(x.clientCpuMs, 0),
        cpuWindowMs: round(x.cpuWindowMs, 0),
        p50: round(x.latencyMs.median, 3),
        p99: round(x.latencyMs.p99, 3),
        errors: x.errorCount,
        statuses: x.statuses,
        capped: x.capped,
      })),
    });
    const h = summary(runs.hearth);
    const b = summary(runs.bare);
    return {
      client,
      connections,
      initialWarmupMs,
      warmupMs,
      durationMs,
      hearth: h,
      bare: b,
      ratio: round(h.medianRps / b.medianRps, 3),
      pairedRatioMedian: round(median(runs.hearth.map((x, i) => x.rps / runs.bare[i].rps)), 3),
      perCpuRatio: round(h.medianPerCpuSecond / b.medianPerCpuSecond, 3),
      hearthRssAfterLoad: rssAfterLoad,
      bareRssAfterLoad,
    };
  } finally {
    if (bare) await stop(bare.child);
    await stop(hearth.child);
  }
}

export async function benchLogin({
  template,
  tmp,
  rounds,
  concurrency,
  warmupMs,
  durationMs,
  bcryptRounds,
  log,
}) {
  const inst = await makeInstance(template, join(tmp, 'login'), { logLevel: 'warn', bcryptRounds });
  const hearth = await startHearth(inst);
  try {
    const username = 'bench';
    const password = 'correct horse battery staple';
    const reg = await registerUser(inst, username, password);
    const cost = await storedBcryptCost(inst, reg.user_id);
    const body = loginBody(username, password);
    const t0 = performance.now();
    const first = await request(inst.port, '/_matrix/client/v3/login', {
      method: 'POST',
      body,
      timeoutMs: 60_000,
    });
    const singleMs = performance.now() - t0;
    if (first.status !== 200) {
      throw new Error(`login answered ${first.status}: ${first.body.slice(0, 300)}`);
    }
    const runs = { hearth: [], bcrypt: [] };
    for (let r = 0; r < rounds; r++) {
      for (const name of abba(r, 'hearth', 'bcrypt')) {
        if (name === 'hearth') {
          const h = await loadgen({
            port: inst.port,
            serverPid: hearth.child.pid,
            path: '/_matrix/client/v3/login',
            method: 'POST',
            body,
            connections: concurrency,
            warmupMs,
            durationMs,
            maxRequests: 10_000,
            timeoutMs: 60_000,
          });
          if (h.ok === 0) throw new Error(`no successful logins: ${JSON.stringify(h)}`);
          h.cpuMsPerOp = h.serverCpuMs / h.ok;
          runs.hearth.push(h);
          log(
            `  round ${r + 1}/${rounds} hearth logins  ${round(h.rps, 2)}/s (p50 ${Math.round(h.latencyMs.median)} ms,` +
              ` ${Math.round(h.cpuMsPerOp)} CPU ms/login, statuses ${JSON.stringify(h.statuses)})`,
          );
        } else {
          const b = await runJsonChild(
            [
              BCRYPT_BENCH,
              JSON.stringify({ rounds: cost, concurrency, warmupMs, durationMs, maxOps: 10_000 }),
            ],
            { timeoutMs: warmupMs + durationMs + 120_000 },
          );
          b.cpuMsPerOp = b.cpuMs / b.ok;
          runs.bcrypt.push(b);
          log(
            `  round ${r + 1}/${rounds} bare bcrypt    ${round(b.rps, 2)}/s (p50 ${Math.round(b.latencyMs.median)} ms,` +
              ` ${Math.round(b.cpuMsPerOp)} CPU ms/compare)`,
          );
        }
      }
    }
    const hearthRps = median(runs.hearth.map((x) => x.rps));
    const bcryptRps = median(runs.bcrypt.map((x) => x.rps));
    const hearthCpu = median(runs.hearth.map((x) => x.cpuMsPerOp));
    const bcryptCpu = median(runs.bcrypt.map((x) => x.cpuMsPerOp));
    return {
      bcryptCost: cost,
      concurrency,
      warmupMs,
      durationMs,
      singleLoginMs: round(singleMs, 1),
      hearth: {
        medianLoginsPerSec: round(hearthRps, 2),
        medianLatencyMs: round(median(runs.hearth.map((x) => x.latencyMs.median)), 1),
        medianCpuMsPerLogin: round(hearthCpu, 1),
        rounds: runs.hearth.map((x) => ({
          rps: round(x.rps, 2),
          ok: x.ok,
          p50: round(x.latencyMs.median, 1),
          cpuMsPerLogin: round(x.cpuMsPerOp, 1),
          statuses: x.statuses,
          errors: x.errorCount,
        })),
      },
      bcrypt: {
        medianComparesPerSec: round(bcryptRps, 2),
        medianLatencyMs: round(median(runs.bcrypt.map((x) => x.latencyMs.median)), 1),
        medianCpuMsPerCompare: round(bcryptCpu, 1),
        rounds: runs.bcrypt.map((x) => ({
          rps: round(x.rps, 2),
          ok: x.ok,
          p50: round(x.latencyMs.median, 1),
          cpuMsPerCompare: round(x.cpuMsPerOp, 1),
        })),
      },
      ratio: round(hearthRps / bcryptRps, 3),
      pairedRatioMedian: round(median(runs.hearth.map((x, i) => x.rps / runs.bcrypt[i].rps)), 3),
      cpuOverheadPerLoginMs: round(hearthCpu - bcryptCpu, 1),
    };
  } finally {
    await stop(hearth.child);
  }
}
