// Benchmarks 1 and 2: cold start (fresh and existing data dir) and idle RSS, against a bare
// node:http server spawned and timed the same way, plus a diagnostic of where start-up time
// goes (Node's own boot, and the standalone import cost of the server and its main deps).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runJsonChild, stop, waitExit, spawnTracked } from './procs.js';
import { ROOT, makeInstance, startBare, startHearth } from './servers.js';
import { median, performance, readRss, round, sleep } from './util.js';

/**
 * Runs `runs` rounds of [fresh, existing, bare] (the order rotating each round so no kind
 * always goes first), each timed from spawn to the first 200 of GET /versions. After the
 * existing-dir and bare starts the process idles `idleMs` and its VmRSS is read.
 */
export async function benchStartup({ template, tmp, runs, idleMs, settledMs, settledRuns, log }) {
  // The existing-data-dir instance: one untimed start creates and migrates its database (and
  // warms the page cache for the code on disk); it also gives the /versions body for the bare server.
  const existing = await makeInstance(template, join(tmp, 'existing'), { logLevel: 'info' });
  const first = await startHearth(existing);
  await stop(first.child);
  const body = first.body;

  const samples = { fresh: [], existing: [], bare: [] };
  const cpu = { fresh: [], existing: [], bare: [] };
  const rss = { existing: [], bare: [] };
  // RSS once V8's memory reducer has run (it shrinks the heap a few seconds into idleness):
  // what a server that has just started and is left alone holds.
  const settled = { existing: [], bare: [] };
  const readSettled = async (kind, pid, i) => {
    if (i >= settledRuns) return;
    await sleep(settledMs - idleMs);
    settled[kind].push(readRss(pid).rss);
  };
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
        await readSettled('bare', r.child.pid, i);
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
          await readSettled('existing', r.child.pid, i);
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
      settledMs,
      settled: {
        existing: { median: median(settled.existing), samples: settled.existing },
        bare: { median: median(settled.bare), samples: settled.bare },
      },
    },
  };
}

/** The project's runtime dependencies, from package.json (whatever they are at the time). */
function dependencies() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return Object.keys(pkg.dependencies ?? {});
}

/**
 * The built server's modules, for either build layout: the esbuild bundle (dist/hearth.mjs,
 * exporting runCli and startServer) or tsc's tree (dist/server/cli/main.js, main.js, app.js).
 */
function builtEntries() {
  const at = (p) => new URL(`../../${p}`, import.meta.url);
  if (existsSync(at('dist/hearth.mjs'))) {
    return {
      layout: 'bundle',
      cli: ['dist/hearth.mjs (what bin/hearth.js loads)', at('dist/hearth.mjs').href],
      main: ['dist/hearth.mjs', at('dist/hearth.mjs').href],
      extra: [],
    };
  }
  return {
    layout: 'tsc',
    cli: ['dist/server/cli/main.js (what bin/hearth.js loads)', at('dist/server/cli/main.js').href],
    main: ['dist/server/main.js', at('dist/server/main.js').href],
    extra: existsSync(at('dist/server/app.js'))
      ? [['dist/server/app.js', at('dist/server/app.js').href]]
      : [],
  };
}

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
  const built = builtEntries();
  const targets = [
    ['an empty module (the ES module loader alone)', 'data:text/javascript,export {}'],
    built.cli,
    ...built.extra,
    ...dependencies().map((d) => [`${d} (from node_modules)`, d]),
  ];
  for (const [label, spec] of targets) {
    const xs = [];
    const rss = [];
    let failure;
    for (let i = 0; i < runs && !failure; i++) {
      const script =
        'const r0 = process.memoryUsage().rss; const t0 = performance.now();' +
        ` await import(${JSON.stringify(spec)});` +
        ' const ms = performance.now() - t0; const rss = process.memoryUsage().rss - r0;' +
        ' console.log(JSON.stringify({ ms, rss }));';
      try {
        const r = await runJsonChild(['--input-type=module', '-e', script], {
          timeoutMs: 30_000,
          cwd: ROOT,
        });
        xs.push(r.ms);
        rss.push(r.rss);
      } catch (err) {
        // e.g. a dependency without a main entry: note it and go on.
        failure = /ERR_[A-Z_]+/.exec(String(err))?.[0] ?? String(err).slice(0, 200);
      }
    }
    if (failure) {
      imports.push({ module: label, error: failure });
      log(`  import ${label}: failed (${failure})`);
      continue;
    }
    imports.push({
      module: label,
      medianMs: round(median(xs), 1),
      medianRssGrowth: median(rss),
      samples: xs.map((x) => round(x, 1)),
    });
    log(
      `  import ${label}: ${Math.round(median(xs))} ms, RSS +${round(median(rss) / 1048576, 1)} MiB`,
    );
  }
  let inProcess;
  try {
    inProcess = configPath
      ? await benchInProcess({ runs, configPath, main: built.main })
      : undefined;
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
    layout: built.layout,
    imports,
    inProcess,
  };
}

/**
 * In one process: the time to import the built server, then the time its startServer()
 * takes (config, database open and migrate, buildApp, listen) on an existing data dir, and
 * the RSS at each step. Uses an internal API, so it may need updating when that changes.
 * Logs at 'error' only: the server's log goes to stdout, and a warning written after the
 * result line (the set-up link of a server not yet set up) took the result's place.
 */
async function benchInProcess({ runs, configPath, main }) {
  const script = `const rss = () => process.memoryUsage().rss;
const r0 = rss(); const t0 = performance.now();
const { startServer } = await import(${JSON.stringify(main[1])});
const t1 = performance.now(); const r1 = rss();
const server = await startServer({ configPath: ${JSON.stringify(configPath)}, logLevel: 'error' });
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
    module: main[0],
    importMs: med('importMs'),
    startMs: med('startMs'),
    rssAtBoot: med('rssAtBoot'),
    rssAfterImport: med('rssAfterImport'),
    rssAfterStart: med('rssAfterStart'),
    samples: xs,
  };
}
