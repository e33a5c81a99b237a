// Hearth's benchmark suite: `npm run bench` (builds first) or `node bench/run.js` after a build.
//
// Every figure is a median over several runs and is printed next to a baseline measured in
// the same run on the same machine (a bare node:http server, raw bcrypt, or plain
// better-sqlite3), because on a shared or busy machine only the ratio to the baseline means
// much. See docs/performance.md.
//
// Options: --quick (fewer, shorter runs: a smoke test, not a measurement)
//          --only start,versions,login,writes   --runs N (cold starts per kind, default 7)
//          --rounds N (/versions A/B rounds, default 6)   --connections N (default 32)
//          --client raw|http (/versions load generator's HTTP client, default raw)
//          --duration S --warmup S (/versions, per round, default 3 and 0.5)
//          --login-rounds N --login-concurrency N --login-duration S --login-warmup S
//            (default 3, 4, 8 and 2)
//          --writes-rounds N --writes-concurrency C,C,... --writes-duration S --writes-warmup S
//            (default 3, 1,16,64, 2 and 0.5)
//          --bcrypt-rounds N (default: Hearth's default, 12)   --out FILE
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanup, tempDir } from './lib/procs.js';
import { fmtMiB, fmtMs, fmtPct, fmtRate, fmtSigned, table, verdict } from './lib/report.js';
import { ROOT, generateTemplate } from './lib/servers.js';
import { benchImports, benchStartup } from './lib/startup.js';
import { benchLogin, benchVersions } from './lib/throughput.js';
import { MiB, loadAverage } from './lib/util.js';
import { benchWrites } from './lib/writer-bench.js';

const TARGETS = { coldStartMs: 500, idleRssBytes: 60 * MiB, versionsRatio: 0.6 };

function usage(message) {
  process.stderr.write(`bench: ${message} (the options are listed at the top of bench/run.js)\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      client: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'login-rounds': { type: 'string' },
      'login-concurrency': { type: 'string' },
      'login-duration': { type: 'string' },
      'login-warmup': { type: 'string' },
      'bcrypt-rounds': { type: 'string' },
      'writes-rounds': { type: 'string' },
      'writes-concurrency': { type: 'string' },
      'writes-duration': { type: 'string' },
      'writes-warmup': { type: 'string' },
      out: { type: 'string' },
    },
  }));
} catch (err) {
  usage(err.message);
}

function num(name, normal, quick) {
  const v = args[name];
  if (v === undefined) return args.quick ? quick : normal;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} wants a positive number, not ${v}`);
  return n;
}

const opts = {
  runs: num('runs', 7, 3),
  idleMs: 2000,
  settledMs: 10_000,
  settledRuns: num('settled-runs', 3, 1),
  rounds: num('rounds', 6, 2),
  connections: num('connections', 32, 32),
  client: args.client ?? 'raw',
  initialWarmupMs: 2000,
  warmupMs: num('warmup', 0.5, 0.5) * 1000,
  durationMs: num('duration', 3, 2) * 1000,
  maxRequests: 2_000_000,
  loginRounds: num('login-rounds', 3, 2),
  loginConcurrency: num('login-concurrency', 4, 4),
  loginWarmupMs: num('login-warmup', 2, 1) * 1000,
  loginDurationMs: num('login-duration', 8, 4) * 1000,
  bcryptRounds: args['bcrypt-rounds'] === undefined ? undefined : num('bcrypt-rounds', 12, 12),
  writesRounds: num('writes-rounds', 3, 2),
  writesConcurrency: (args['writes-concurrency'] ?? '1,16,64').split(',').map(Number),
  writesWarmupMs: num('writes-warmup', 0.5, 0.25) * 1000,
  writesDurationMs: num('writes-duration', 2, 1) * 1000,
};
if (!['raw', 'http'].includes(opts.client)) usage('--client is raw or http');
if (!opts.writesConcurrency.every((c) => Number.isInteger(c) && c > 0 && c <= 256))
  usage('--writes-concurrency wants positive integers up to 256, separated by commas');
const only = new Set((args.only ?? 'start,versions,login,writes').split(',').map((s) => s.trim()));
for (const name of only) {
  if (!['start', 'versions', 'login', 'writes'].includes(name))
    usage(`--only takes start, versions, login, writes; not ${name}`);
}
const outFile = resolve(args.out ?? join(ROOT, 'bench', 'results.json'));
const log = (msg) => process.stderr.write(`${msg}\n`);

async function main() {
  const started = new Date();
  const loadBefore = loadAverage();
  const tmp = tempDir();
  log(
    `Hearth benchmarks: ${os.cpus().length} CPUs, Node ${process.version}, load average ${loadBefore}${args.quick ? ', --quick' : ''}`,
  );
  log(`temp dir ${tmp}`);
  // Only the server benchmarks need a generated config (the write benchmark opens SQLite).
  const needsServer = ['start', 'versions', 'login'].some((name) => only.has(name));
  const template = needsServer ? await generateTemplate(join(tmp, 'template')) : undefined;
  const results = {};

  if (only.has('start')) {
    log(
      `\n[1, 2] cold start and idle RSS: ${opts.runs} runs each of fresh dir, existing dir, bare node:http`,
    );
    results.startup = await benchStartup({
      template,
      tmp,
      runs: opts.runs,
      idleMs: opts.idleMs,
      settledMs: opts.settledMs,
      settledRuns: opts.settledRuns,
      log,
    });
    log('\n[diagnostic] where start-up time goes');
    results.imports = await benchImports({
      runs: 3,
      configPath: results.startup.existingConfigPath,
      log,
    });
    delete results.startup.existingConfigPath;
  }
  if (only.has('versions')) {
    log(
      `\n[3] /versions throughput: ${opts.rounds} rounds ABBA, ${opts.connections} connections (${opts.client} client), ${opts.warmupMs} ms warm-up + ${opts.durationMs} ms each`,
    );
    results.versions = await benchVersions({
      template,
      tmp,
      rounds: opts.rounds,
      connections: opts.connections,
      initialWarmupMs: opts.initialWarmupMs,
      client: opts.client,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
      maxRequests: opts.maxRequests,
      log,
    });
  }
  if (only.has('login')) {
    log(
      `\n[4] login throughput: ${opts.loginRounds} rounds ABBA, ${opts.loginConcurrency} concurrent, ${opts.loginWarmupMs} ms warm-up + ${opts.loginDurationMs} ms`,
    );
    results.login = await benchLogin({
      template,
      tmp,
      rounds: opts.loginRounds,
      concurrency: opts.loginConcurrency,
      warmupMs: opts.loginWarmupMs,
      durationMs: opts.loginDurationMs,
      bcryptRounds: opts.bcryptRounds,
      log,
    });
  }
  if (only.has('writes')) {
    log(
      `\n[5] writes under load: ${opts.writesRounds} rounds ABBA of plain autocommit, the writer at` +
        ` ${opts.writesConcurrency.join(', ')} concurrent callers, plain batched; ${opts.writesWarmupMs} ms warm-up + ${opts.writesDurationMs} ms each`,
    );
    results.writes = await benchWrites({
      tmp,
      rounds: opts.writesRounds,
      concurrencies: opts.writesConcurrency,
      warmupMs: opts.writesWarmupMs,
      durationMs: opts.writesDurationMs,
      log,
    });
  }

  const cpus = os.cpus();
  const report = {
    date: started.toISOString(),
    durationS: Math.round((Date.now() - started.getTime()) / 1000),
    quick: args.quick,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model,
      totalMemMiB: Math.round(os.totalmem() / MiB),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAverage(),
    },
    options: opts,
    targets: TARGETS,
    results,
  };
  writeFileSync(outFile, await formatJson(report, outFile));
  process.stdout.write(`\n${summaryTable(results)}\n\n`);
  const v = results.versions;
  if (v && Math.min(v.hearth.medianCpuShare, v.bare.medianCpuShare) < 0.9) {
    process.stdout.write(
      `Note: during /versions the servers were busy only ${fmtPct(v.hearth.medianCpuShare)} (Hearth) and` +
        ` ${fmtPct(v.bare.medianCpuShare)} (bare) of a core: other work on the machine starved them,` +
        ' so the wall-clock ratio is unreliable; the per-CPU-second ratio is the steadier figure.\n\n',
    );
  }
  if (results.imports) process.stdout.write(`${importsTable(results.imports)}\n\n`);
  process.stdout.write(
    `Medians; ${report.machine.cpus} CPUs, load average ${loadBefore} before and ${report.machine.loadAverageAfter} after.` +
      ` Raw samples in ${outFile}.\n`,
  );
}

/** JSON as the repository's prettier would write it (so `prettier --check .` stays clean). */
async function formatJson(value, file) {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...config, filepath: file });
  } catch {
    return text;
  }
}

function summaryTable(r) {
  const rows = [['Benchmark', 'Hearth', 'Baseline', 'Hearth vs baseline', 'Target', 'Met']];
  if (r.startup) {
    const c = r.startup.coldStart;
    for (const kind of ['fresh', 'existing']) {
      rows.push([
        `Cold start, ${kind === 'fresh' ? 'fresh data dir (migrates)' : 'existing data dir'}`,
        fmtMs(c[kind].median),
        `${fmtMs(c.bare.median)} (bare node:http)`,
        fmtSigned(c[kind].median - c.bare.median, fmtMs),
        `< ${TARGETS.coldStartMs} ms`,
        verdict(c[kind].median < TARGETS.coldStartMs),
      ]);
    }
    rows.push([
      '  CPU used by then (existing dir; fresh in brackets)',
      `${fmtMs(c.existing.cpuMedian)} (${fmtMs(c.fresh.cpuMedian)})`,
      `${fmtMs(c.bare.cpuMedian)} (bare node:http)`,
      fmtSigned(c.existing.cpuMedian - c.bare.cpuMedian, fmtMs),
      '(steadier on a busy machine)',
      '-',
    ]);
    const m = r.startup.idleRss;
    rows.push([
      `Idle RSS (${m.settledMs / 1000} s after start, settled)`,
      fmtMiB(m.settled.existing.median),
      `${fmtMiB(m.settled.bare.median)} (bare node:http)`,
      fmtSigned(m.settled.existing.median - m.settled.bare.median, fmtMiB),
      `< ${fmtMiB(TARGETS.idleRssBytes)}`,
      verdict(m.settled.existing.median < TARGETS.idleRssBytes),
    ]);
    rows.push([
      `  RSS ${m.idleMs / 1000} s after start`,
      fmtMiB(m.existing.median),
      `${fmtMiB(m.bare.median)} (bare node:http)`,
      fmtSigned(m.existing.median - m.bare.median, fmtMiB),
      '(before V8 shrinks its heap)',
      '-',
    ]);
  }
  if (r.versions) {
    const v = r.versions;
    rows.push([
      `GET /versions, ${v.connections} keep-alive conns`,
      `${fmtRate(v.hearth.medianRps, 'req/s')} (p50 ${v.hearth.medianLatencyMs} ms)`,
      `${fmtRate(v.bare.medianRps, 'req/s')} (bare node:http, p50 ${v.bare.medianLatencyMs} ms)`,
      `${fmtPct(v.ratio)} (paired rounds: ${fmtPct(v.pairedRatioMedian)})`,
      `>= ${fmtPct(TARGETS.versionsRatio)} of bare`,
      verdict(v.ratio >= TARGETS.versionsRatio),
    ]);
    rows.push([
      '  per CPU-second of the server process',
      `${fmtRate(v.hearth.medianPerCpuSecond, 'req/CPU-s')} (busy ${fmtPct(v.hearth.medianCpuShare)})`,
      `${fmtRate(v.bare.medianPerCpuSecond, 'req/CPU-s')} (busy ${fmtPct(v.bare.medianCpuShare)})`,
      fmtPct(v.perCpuRatio),
      `>= ${fmtPct(TARGETS.versionsRatio)} (cross-check)`,
      verdict(v.perCpuRatio >= TARGETS.versionsRatio),
    ]);
  }
  if (r.login) {
    const l = r.login;
    rows.push([
      `Password login, bcrypt cost ${l.bcryptCost}, ${l.concurrency} concurrent`,
      `${fmtRate(l.hearth.medianLoginsPerSec, 'logins/s')} (p50 ${fmtMs(l.hearth.medianLatencyMs)})`,
      `${fmtRate(l.bcrypt.medianComparesPerSec, 'compares/s')} (raw bcrypt, p50 ${fmtMs(l.bcrypt.medianLatencyMs)})`,
      `${fmtPct(l.ratio)} (paired rounds: ${fmtPct(l.pairedRatioMedian)})`,
      '(none: reported)',
      '-',
    ]);
    rows.push([
      '  CPU per login / per compare',
      fmtMs(l.hearth.medianCpuMsPerLogin),
      fmtMs(l.bcrypt.medianCpuMsPerCompare),
      fmtSigned(l.cpuOverheadPerLoginMs, fmtMs),
      '(none: reported)',
      '-',
    ]);
  }
  if (r.writes) {
    const w = r.writes;
    const top = w.writer[w.top];
    const rt = w.ratios[w.top];
    const plain = `plain better-sqlite3`;
    rows.push([
      `Writes under load: ${w.rowBytes} B rows, writer, ${w.top} concurrent callers`,
      `${fmtRate(top.medianRate, 'inserts/s')} (${fmtRate(top.medianInsertsPerCommit, 'per commit')}, p50 ${fmtLatency(top.medianLatencyP50Ms)})`,
      `${fmtRate(w.autocommit.medianRate, 'inserts/s')} (${plain}, a commit per insert)`,
      `${fmtPct(rt.vsAutocommit)} (paired rounds: ${fmtPct(rt.vsAutocommitPaired)})`,
      '(none: reported)',
      '-',
    ]);
    rows.push([
      `  the same against ${w.batchSize} inserts per commit (the ceiling)`,
      fmtRate(top.medianRate, 'inserts/s'),
      `${fmtRate(w.batched.medianRate, 'inserts/s')} (${plain}, ${w.batchSize} per commit)`,
      `${fmtPct(rt.vsBatched)} (paired rounds: ${fmtPct(rt.vsBatchedPaired)})`,
      '(none: reported)',
      '-',
    ]);
    rows.push([
      '  per CPU-second (writer; a commit per insert / batched)',
      fmtRate(top.medianPerCpuSecond, 'inserts/CPU-s'),
      `${fmtRate(w.autocommit.medianPerCpuSecond, 'inserts/CPU-s')} / ${fmtRate(w.batched.medianPerCpuSecond, 'inserts/CPU-s')}`,
      `${fmtPct(rt.vsAutocommitPerCpu)} / ${fmtPct(rt.vsBatchedPerCpu)}`,
      '(none: reported)',
      '-',
    ]);
    for (const c of w.concurrencies) {
      if (c === w.top) continue;
      const s = w.writer[c];
      rows.push([
        `  writer, ${c} concurrent caller${c === 1 ? '' : 's'}`,
        `${fmtRate(s.medianRate, 'inserts/s')} (${fmtRate(s.medianInsertsPerCommit, 'per commit')}, p50 ${fmtLatency(s.medianLatencyP50Ms)})`,
        `${fmtRate(w.autocommit.medianRate, 'inserts/s')} (a commit per insert)`,
        `${fmtPct(w.ratios[c].vsAutocommit)} (paired rounds: ${fmtPct(w.ratios[c].vsAutocommitPaired)})`,
        '(none: reported)',
        '-',
      ]);
    }
  }
  return table(rows);
}

/** A sub-millisecond latency: 0.042 ms, 1.01 ms, 12 ms. */
function fmtLatency(ms) {
  if (!Number.isFinite(ms)) return 'n/a';
  return `${ms < 1 ? ms.toPrecision(2) : ms < 10 ? ms.toFixed(2) : Math.round(ms)} ms`;
}

function importsTable(d) {
  const rows = [
    [`Start-up diagnostic (${d.layout} build; median of 3, each in a fresh process)`, 'Figure'],
  ];
  rows.push(['Node boot: spawn to exit of `node -e ""`', fmtMs(d.nodeBootMs)]);
  for (const i of d.imports) {
    const figure = i.error
      ? `failed: ${i.error}`
      : `${fmtMs(i.medianMs)}, RSS +${fmtMiB(i.medianRssGrowth)}`;
    rows.push([`await import(${i.module})`, figure]);
  }

  const p = d.inProcess;
  if (p && !p.error) {
    rows.push([`In one process: import ${p.module}`, fmtMs(p.importMs)]);
    rows.push([
      '  then startServer() on the existing data dir (config, db, buildApp, listen)',
      fmtMs(p.startMs),
    ]);
    rows.push([
      '  RSS at boot / after import / after startServer()',
      `${fmtMiB(p.rssAtBoot)} / ${fmtMiB(p.rssAfterImport)} / ${fmtMiB(p.rssAfterStart)}`,
    ]);
  } else if (p) {
    rows.push(['In-process start-up diagnostic', `failed: ${p.error}`]);
  }
  return table(rows);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`\nbench failed: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  cleanup();
}
