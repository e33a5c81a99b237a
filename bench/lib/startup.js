// Benchmarks 1 and 2: cold start (fresh and existing data dir) and idle RSS, against a bare
// node:http server spawned and timed the same way, plus a diagnostic of where start-up time
// goes (Node's own boot, and the standalone import cost of the server and its main deps).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runJsonChild, stop, waitExit, spawnTracked } from './procs.js';
import { ROOT, makeInstance, startBare, startHearth } from './servers.js';
import { median, performance, readRss, round, sleep } from './util.js';

/**
 * Runs `runs` rounds of [fresh, existing, bare] (the order rotating each round so no kind
 * always goes first), each timed from spawn to the first 200 of GET /versions. After the
 * existing-dir and bare starts the process idles `idleMs` and its VmRSS is read.
 */
export async function benchStartup({ template, tmp, runs, idleMs, log }) {
  // The existing-data-dir instance: one untimed start creates and migrates its database (and
  // warms the page cache for the code on disk); it also gives the /versions body for the bare server.
  const existing = await makeInstance(template, join(tmp, 'existing'), { logLevel: 'info' });
  const first = await startHearth(existing);
  await stop(first.child);
  const body = first.body;

  const samples = { fresh: [], existing: [], bare: [] };
  const cpu = { fresh: [], existing: [], bare: [] };
  const rss = { existing: [], bare: [] };
  const hwm = { existing: [], bare: [] };
  const toListening = { fresh: [], existing: [] };
  const toMigrated = [];
  const kinds = ['fresh', 'existing', 'bare'];
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(i + k) % kinds.length];
      if (kind === 'bare') {
        const r = await startBare(body);
        samples.bare.push(r.ms);
        cpu.bare.push(r.cpuMs);
        await sleep(idleMs);
        const m = readRss(r.child.pid);
        rss.bare.push(m.rss);
        hwm.bare.push(m.hwm);
        await stop(r.child);
      } else {
        const inst =
          kind === 'fresh'
            ? await makeInstance(template, join(tmp, `fresh-${i}`), { logLevel: 'info' })
            : existing;
        const r = await startHearth(inst);
        samples[kind].push(r.ms);
        cpu[kind].push(r.cpuMs);
        if (r.logs.listening) toListening[kind].push(r.logs.listening - r.epochAtSpawn);
        if (kind === 'fresh' && r.logs['database schema migrated'])
          toMigrated.push(r.logs['database schema migrated'] - r.epochAtSpawn);
        if (kind === 'existing') {
          await sleep(idleMs);
          const m = readRss(r.child.pid);
          rss.existing.push(m.rss);
          hwm.existing.push(m.hwm);
        }
        await stop(r.child);
        if (kind === 'fresh') rmSync(inst.dir, { recursive: true, force: true });
      }
      log(
        `  start ${i + 1}/${runs} ${kind.padEnd(8)} ${Math.round(samples[kind].at(-1))} ms` +
          ` (CPU ${Math.round(cpu[kind].at(-1))} ms)`,
      );
    }
  }
  const med = (xs) => round(median(xs), 1);
  return {
    body,
    existingConfigPath: existing.configPath,
    coldStart: {
      unit: 'ms',
      // ms from spawn to the first 200, and the CPU ms (user + system, 10 ms resolution)
      // the process had used by then.
      ...Object.fromEntries(
        kinds.map((kind) => [
          kind,
          {
            median: med(samples[kind]),
            cpuMedian: med(cpu[kind]),
            samples: samples[kind].map((x) => round(x, 1)),
            cpuSamples: cpu[kind],
          },
        ]),
      ),
      // From Hearth's own log timestamps (epoch ms, so 1 ms resolution): spawn to the
      // "listening" line, and for fresh dirs spawn to "database schema migrated".
      spawnToListeningLog: { fresh: med(toListening.fresh), existing: med(toListening.existing) },
      spawnToMigratedLog: { fresh: med(toMigrated) },
    },
    idleRss: {
      unit: 'bytes',
      idleMs,
      existing: {
        median: median(rss.existing),
        samples: rss.existing,
        hwmMedian: median(hwm.existing),
      },
      bare: { median: median(rss.bare), samples: rss.bare, hwmMedian: median(hwm.bare) },
    },
  };
}

const IMPORT_TARGETS = [
  [
    'dist/server/cli/main.js (what bin/hearth.js loads)',
    new URL('../../dist/server/cli/main.js', import.meta.url).href,
  ],
  ['dist/server/app.js', new URL('../../dist/server/app.js', import.meta.url).href],
  ['fastify', 'fastify'],
  ['better-sqlite3', 'better-sqlite3'],
  ['pino', 'pino'],
  ['@sinclair/typebox', '@sinclair/typebox'],
  ['@node-rs/bcrypt', '@node-rs/bcrypt'],
  ['yaml', 'yaml'],
];

/**
 * Where start-up time goes: Node's own boot (spawn to exit of `node -e ""`) and, each in a
 * fresh process, the time `await import(x)` takes for the server's entry and its main
 * dependencies (standalone costs: they overlap, so they do not add up).
 */
export async function benchImports({ runs, configPath, log }) {
  const boot = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const child = spawnTracked(process.execPath, ['-e', '']);
    await waitExit(child, 30_000);
    boot.push(performance.now() - t0);
  }
  const imports = [];
  for (const [label, spec] of IMPORT_TARGETS) {
    const xs = [];
    for (let i = 0; i < runs; i++) {
      const script = `const t0 = performance.now(); await import(${JSON.stringify(spec)}); console.log(JSON.stringify({ ms: performance.now() - t0 }));`;
      const r = await runJsonChild(['--input-type=module', '-e', script], {
        timeoutMs: 30_000,
        cwd: ROOT,
      });
      xs.push(r.ms);
    }
    imports.push({
      module: label,
      medianMs: round(median(xs), 1),
      samples: xs.map((x) => round(x, 1)),
    });
    log(`  import ${label}: ${Math.round(median(xs))} ms`);
  }
  let inProcess;
  try {
    inProcess = configPath ? await benchInProcess({ runs, configPath }) : undefined;
    if (inProcess) {
      log(
        `  in-process: import ${inProcess.importMs} ms, then startServer() ${inProcess.startMs} ms`,
      );
    }
  } catch (err) {
    inProcess = { error: String(err?.message ?? err).slice(0, 500) };
    log(`  in-process diagnostic failed: ${inProcess.error}`);
  }
  return {
    nodeBootMs: round(median(boot), 1),
    nodeBootSamples: boot.map((x) => round(x, 1)),
    imports,
    inProcess,
  };
}

const SERVER_MAIN = new URL('../../dist/server/main.js', import.meta.url).href;

/**
 * In one process: the time to import dist/server/main.js, then the time its startServer()
 * takes (config, database open and migrate, buildApp, listen) on an existing data dir, and
 * the RSS at each step. Uses an internal API, so it may need updating when that changes.
 */
async function benchInProcess({ runs, configPath }) {
  const script = `const rss = () => process.memoryUsage().rss;
const r0 = rss(); const t0 = performance.now();
const { startServer } = await import(${JSON.stringify(SERVER_MAIN)});
const t1 = performance.now(); const r1 = rss();
const server = await startServer({ configPath: ${JSON.stringify(configPath)}, logLevel: 'warn' });
const t2 = performance.now(); const r2 = rss();
await server.close();
const out = { importMs: t1 - t0, startMs: t2 - t1, rssAtBoot: r0, rssAfterImport: r1, rssAfterStart: r2 };
process.stdout.write(JSON.stringify(out) + '\\n', () => process.exit(0));`;
  const xs = [];
  for (let i = 0; i < runs; i++) {
    xs.push(
      await runJsonChild(['--input-type=module', '-e', script], { timeoutMs: 60_000, cwd: ROOT }),
    );
  }
  const med = (k) => round(median(xs.map((x) => x[k])), 1);
  return {
    importMs: med('importMs'),
    startMs: med('startMs'),
    rssAtBoot: med('rssAtBoot'),
    rssAfterImport: med('rssAfterImport'),
    rssAfterStart: med('rssAfterStart'),
    samples: xs,
  };
}
