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
//          (issue 3: rooms, sends and sync; --only sends,wakeup,initialsync,rss)
//          --sends-rounds N --sends-duration S --sends-warmup S --sends-rooms N
//            --sends-per-room N (default 4, 5, 1, 10 and 5)   --cpu-prof DIR (profile the
//            sends, wakeup, fedtxn, fedjoin (the joining B), keysclaim, otkupload,
//            todevice, mediaupload and thumbnails servers with node --cpu-prof, keep the profiles in DIR, print their top
//            functions)
//          --wakeup-clients N --wakeup-rounds N (default 500 and 7)
//          --initialsync-rooms N --initialsync-runs N (default 100 and 9)
//          (issue 4: --only stateres,sigverify,fedtxn,fedjoin) --stateres-runs N (default 9)
//          --fedtxn-runs N (timed 50-PDU transactions, default 9)   --fedjoin-runs N (joins,
//            each from a fresh second Hearth, default 3)   --fedjoin-members N (default 10000)
//          (issue 5: --only keysclaim,otkupload,todevice) --keysclaim-runs N (claims of one
//            key of each of 100 devices, default 15)   --otkupload-runs N (uploads of 100
//            one-time keys, default 15)   --todevice-rounds N (sends to 500 long-polling
//            devices, default 6)   --todevice-users N --todevice-devices N (users, devices
//            each: default 100 and 5)
//          (issue 6: --only mediaupload,thumbnails) --mediaupload-runs N (uploads of the file,
//            each beside a bare node:http upload and a bare fs copy, default 5)
//            --mediaupload-mib N (the file's size, default 100)   --thumbnails-images N
//            (distinct 1-megapixel JPEGs, default 20)   --thumbnails-rounds N (generation
//            rounds, each image at a new size, ABBA with bare sharp, default 3)
//            --thumbnails-serve-rounds N --thumbnails-connections N (cached thumbnail GETs,
//            ABBA with a bare static-file server, 3 s each: default 4 and 16)
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanup, tempDir } from './lib/procs.js';
import { fmtMiB, fmtMs, fmtPct, fmtRate, fmtSigned, table, verdict } from './lib/report.js';
import { ROOT, generateTemplate } from './lib/servers.js';
import { benchImports, benchStartup } from './lib/startup.js';
import { profileTable } from './lib/cpuprofile.js';
import { benchInitialSync } from './lib/initialsync.js';
import { benchStateRes } from './lib/stateres.js';
import { benchSigVerify } from './lib/sigverify.js';
import { benchFedTxn } from './lib/fedtxn.js';
import { benchFedJoin } from './lib/fedjoin.js';
import { benchSends } from './lib/sends.js';
import { benchLogin, benchVersions } from './lib/throughput.js';
import { MiB, loadAverage } from './lib/util.js';
import { benchWakeup } from './lib/wakeup.js';
import { benchWrites } from './lib/writer-bench.js';
import { benchKeysClaim, benchOtkUpload } from './lib/e2ee-keys.js';
import { benchToDevice } from './lib/e2ee-todevice.js';
import { benchMediaUpload } from './lib/media-upload.js';
import { benchThumbnails, thumbnailsProfile } from './lib/media-thumbnails.js';

const TARGETS = {
  coldStartMs: 500,
  idleRssBytes: 60 * MiB,
  versionsRatio: 0.6,
  sendsPerSec: 4000,
  sendsRatio: 0.25,
  wakeupP99Ms: 50,
  initialSyncMs: 80,
  stateResMs: 500,
  fedTxnMs: 100,
  fedJoinMs: 5000,
  rssAfterSendsBytes: 150 * MiB,
  keysClaimMs: 50,
  otkUploadMs: 20,
  mediaUploadRssGrowthBytes: 30 * MiB,
};
const BENCHMARKS = [
  'start',
  'versions',
  'login',
  'writes',
  'sends',
  'wakeup',
  'initialsync',
  'stateres',
  'sigverify',
  'fedtxn',
  'fedjoin',
  'rss',
  'keysclaim',
  'otkupload',
  'todevice',
  'mediaupload',
  'thumbnails',
];

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
      'sends-rounds': { type: 'string' },
      'sends-duration': { type: 'string' },
      'sends-warmup': { type: 'string' },
      'sends-rooms': { type: 'string' },
      'sends-per-room': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'wakeup-clients': { type: 'string' },
      'wakeup-rounds': { type: 'string' },
      'initialsync-rooms': { type: 'string' },
      'initialsync-runs': { type: 'string' },
      'stateres-runs': { type: 'string' },
      'fedtxn-runs': { type: 'string' },
      'fedjoin-runs': { type: 'string' },
      'fedjoin-members': { type: 'string' },
      'keysclaim-runs': { type: 'string' },
      'otkupload-runs': { type: 'string' },
      'todevice-rounds': { type: 'string' },
      'todevice-users': { type: 'string' },
      'todevice-devices': { type: 'string' },
      'mediaupload-runs': { type: 'string' },
      'mediaupload-mib': { type: 'string' },
      'thumbnails-images': { type: 'string' },
      'thumbnails-rounds': { type: 'string' },
      'thumbnails-serve-rounds': { type: 'string' },
      'thumbnails-connections': { type: 'string' },
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
  sendsRounds: num('sends-rounds', 4, 2),
  sendsWarmupMs: num('sends-warmup', 1, 0.5) * 1000,
  sendsDurationMs: num('sends-duration', 5, 2) * 1000,
  sendsInitialWarmupMs: 2000,
  sendsRooms: num('sends-rooms', 10, 10),
  sendsPerRoom: num('sends-per-room', 5, 5),
  cpuProfDir: args['cpu-prof'] === undefined ? undefined : resolve(args['cpu-prof']),
  wakeupClients: num('wakeup-clients', 500, 500),
  wakeupRounds: num('wakeup-rounds', 7, 2),
  initialSyncRooms: num('initialsync-rooms', 100, 20),
  initialSyncRuns: num('initialsync-runs', 9, 3),
  stateResRuns: num('stateres-runs', 9, 3),
  fedTxnRuns: num('fedtxn-runs', 9, 3),
  fedJoinRuns: num('fedjoin-runs', 3, 1),
  fedJoinMembers: num('fedjoin-members', 10_000, 1000),
  keysClaimRuns: num('keysclaim-runs', 15, 5),
  otkUploadRuns: num('otkupload-runs', 15, 5),
  toDeviceRounds: num('todevice-rounds', 6, 2),
  toDeviceUsers: num('todevice-users', 100, 100),
  toDeviceDevices: num('todevice-devices', 5, 5),
  mediaUploadRuns: num('mediaupload-runs', 5, 2),
  mediaUploadMiB: num('mediaupload-mib', 100, 100),
  thumbnailsImages: num('thumbnails-images', 20, 6),
  thumbnailsRounds: num('thumbnails-rounds', 3, 1),
  thumbnailsServeRounds: num('thumbnails-serve-rounds', 4, 2),
  thumbnailsConnections: num('thumbnails-connections', 16, 16),
};
if (!['raw', 'http'].includes(opts.client)) usage('--client is raw or http');
if (!opts.writesConcurrency.every((c) => Number.isInteger(c) && c > 0 && c <= 256))
  usage('--writes-concurrency wants positive integers up to 256, separated by commas');
const only = new Set((args.only ?? BENCHMARKS.join(',')).split(',').map((s) => s.trim()));
for (const name of only) {
  if (!BENCHMARKS.includes(name)) usage(`--only takes ${BENCHMARKS.join(', ')}; not ${name}`);
}
// The RSS figures are read from the sends benchmark's server (settled at start, and after
// the sends), so asking for either runs it.
if (only.has('rss')) only.add('sends');
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
  const needsServer = BENCHMARKS.some(
    (name) =>
      !['writes', 'stateres', 'sigverify', 'fedtxn', 'fedjoin'].includes(name) && only.has(name),
  );
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

  if (only.has('sends')) {
    log(
      `\n[6, 9] sends and RSS: ${opts.sendsRooms * opts.sendsPerRoom} clients in ${opts.sendsRooms} rooms,` +
        ` ${opts.sendsRounds} rounds ABBA against bare node:http + SQLite, ${opts.sendsWarmupMs} ms warm-up + ${opts.sendsDurationMs} ms each` +
        (opts.cpuProfDir ? `; Hearth under --cpu-prof (${opts.cpuProfDir})` : ''),
    );
    results.sends = await benchSends({
      template,
      tmp,
      rounds: opts.sendsRounds,
      rooms: opts.sendsRooms,
      perRoom: opts.sendsPerRoom,
      initialWarmupMs: opts.sendsInitialWarmupMs,
      warmupMs: opts.sendsWarmupMs,
      durationMs: opts.sendsDurationMs,
      settledMs: opts.settledMs,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }

  if (only.has('wakeup')) {
    log(
      `\n[7] wakeup: ${opts.wakeupClients} /sync long-polls on one room, one message sent;` +
        ` ${opts.wakeupRounds} rounds in ABBA blocks against bare node:http holding as many long-polls`,
    );
    results.wakeup = await benchWakeup({
      template,
      tmp,
      clients: opts.wakeupClients,
      rounds: opts.wakeupRounds,
      settleMs: 1000,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }
  if (only.has('initialsync')) {
    log(
      `\n[8] initial sync: an account in ${opts.initialSyncRooms} rooms of 20 members and 20 messages;` +
        ` median of ${opts.initialSyncRuns}, interleaved with bare node:http serialising the same answer`,
    );
    results.initialSync = await benchInitialSync({
      template,
      tmp,
      rooms: opts.initialSyncRooms,
      runs: opts.initialSyncRuns,
      log,
    });
  }

  if (only.has('stateres')) {
    log(
      `\n[10] state resolution: two forks of 10,000 state events, 100 conflicted keys, from SQLite and from memory;` +
        ` median of ${opts.stateResRuns}, interleaved with a bare copy-and-split of the same maps`,
    );
    results.stateRes = await benchStateRes({ tmp, runs: opts.stateResRuns, log });
  }

  if (only.has('sigverify')) {
    log(
      `\n[11] signature verification: one signed PDU verified by Hearth's check, node:crypto,` +
        ` tweetnacl and @noble/ed25519; median of 9 interleaved slices of 300 ms`,
    );
    results.sigVerify = await benchSigVerify({ runs: 9, sliceMs: 300, log });
  }

  if (only.has('fedtxn')) {
    log(
      `\n[12] incoming federation transaction: 50 signed message PDUs from a second server into a real Hearth,` +
        ` PUT /send to its 200; median of ${opts.fedTxnRuns}, ABBA against bare node:http parsing them and inserting 50 rows (with and without an fdatasync)`,
    );
    results.fedTxn = await benchFedTxn({
      tmp,
      runs: opts.fedTxnRuns,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }

  if (only.has('fedjoin')) {
    log(
      `\n[13] federated join: a user of a second Hearth joins a room of ${opts.fedJoinMembers} members on the first,` +
        ` until its /sync shows the room; median of ${opts.fedJoinRuns} (a fresh second Hearth each), interleaved with bare node parsing the state and inserting it`,
    );
    results.fedJoin = await benchFedJoin({
      tmp,
      runs: opts.fedJoinRuns,
      members: opts.fedJoinMembers,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }

  if (only.has('keysclaim')) {
    log(
      `\n[14] /keys/claim: one one-time key of each of 100 devices (20 users x 5), local;` +
        ` median of ${opts.keysClaimRuns}, interleaved with bare node:http + SQLite (with and without an fsync per commit) taking the same rows`,
    );
    results.keysClaim = await benchKeysClaim({
      template,
      tmp,
      runs: opts.keysClaimRuns,
      users: 20,
      devicesPerUser: 5,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }
  if (only.has('otkupload')) {
    log(
      `\n[15] /keys/upload of 100 signed one-time keys; median of ${opts.otkUploadRuns},` +
        ` interleaved with bare node:http + SQLite (with and without an fsync per commit) inserting the same rows`,
    );
    results.otkUpload = await benchOtkUpload({
      template,
      tmp,
      runs: opts.otkUploadRuns,
      keys: 100,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }
  if (only.has('todevice')) {
    log(
      `\n[16] to-device fan-out: one /sendToDevice to ${opts.toDeviceUsers * opts.toDeviceDevices} devices` +
        ` (${opts.toDeviceUsers} users x ${opts.toDeviceDevices}) long-polling /sync, until the last has it;` +
        ` ${opts.toDeviceRounds} rounds in ABBA blocks against bare node:http + SQLite holding as many long-polls`,
    );
    results.toDevice = await benchToDevice({
      template,
      tmp,
      users: opts.toDeviceUsers,
      devicesPerUser: opts.toDeviceDevices,
      rounds: opts.toDeviceRounds,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
  }

  if (only.has('mediaupload')) {
    log(
      `\n[17] media upload: a ${opts.mediaUploadMiB} MiB file streamed to POST /_matrix/media/v3/upload;` +
        ` median of ${opts.mediaUploadRuns}, rotated with a bare node:http upload and a bare fs copy of the same file`,
    );
    results.mediaUpload = await benchMediaUpload({
      template,
      tmp,
      runs: opts.mediaUploadRuns,
      sizeMiB: opts.mediaUploadMiB,
      cpuProfDir: opts.cpuProfDir,
      log,
    });
    if (opts.cpuProfDir) {
      results.mediaUpload.profile = thumbnailsProfile(
        opts.cpuProfDir,
        results.mediaUpload.hearthPid,
      );
    }
  }
  if (only.has('thumbnails')) {
    log(
      `\n[18] thumbnails: ${opts.thumbnailsImages} 1-megapixel JPEGs, GET /thumbnail of a size not made yet` +
        ` (dynamic_thumbnails), ${opts.thumbnailsRounds} rounds ABBA with bare sharp; then a made thumbnail over` +
        ` ${opts.thumbnailsConnections} keep-alive connections, ${opts.thumbnailsServeRounds} rounds ABBA with a bare static-file server`,
    );
    results.thumbnails = await benchThumbnails({
      template,
      tmp,
      images: opts.thumbnailsImages,
      genRounds: opts.thumbnailsRounds,
      serveRounds: opts.thumbnailsServeRounds,
      connections: opts.thumbnailsConnections,
      warmupMs: 500,
      durationMs: 3000,
      cpuProfDir: opts.cpuProfDir,
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
  const profile = results.sends?.profile;
  if (profile?.top) {
    process.stdout.write(
      `CPU profile of Hearth during the sends benchmark (set-up included): ${profile.busyMs} ms busy,` +
        ` ${profile.idleMs} ms idle; self time by function (${profile.file}):\n\n${profileTable(profile)}\n\n`,
    );
  }
  for (const [name, p] of [
    ['fedtxn benchmark (set-up included)', results.fedTxn?.profile],
    ['fedjoin benchmark (the joining server, first run)', results.fedJoin?.profile],
    ['keysclaim benchmark (set-up included)', results.keysClaim?.profile],
    ['otkupload benchmark (set-up included)', results.otkUpload?.profile],
    ['todevice benchmark (set-up included)', results.toDevice?.profile],
    ['mediaupload benchmark (set-up included)', results.mediaUpload?.profile],
    ['thumbnails benchmark (set-up included)', results.thumbnails?.profile],
  ]) {
    if (!p?.top) continue;
    process.stdout.write(
      `CPU profile of Hearth during the ${name}: ${p.busyMs} ms busy, ${p.idleMs} ms idle;` +
        ` self time by function (${p.file}):\n\n${profileTable(p)}\n\n`,
    );
  }
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
  if (r.sends) rows.push(...sendsRows(r.sends));
  if (r.wakeup) {
    const w = r.wakeup;
    rows.push([
      `Wakeup: ${w.clients} /sync long-polls woken by one send (median of rounds; ${w.warmupRoundsPerBlock} warm-up rounds per block not counted)`,
      `p99 ${fmtLatency(w.hearth.medianP99Ms)} (p50 ${fmtLatency(w.hearth.medianP50Ms)}, max ${fmtLatency(w.hearth.medianMaxMs)})`,
      `p99 ${fmtLatency(w.bare.medianP99Ms)} (bare node:http, p50 ${fmtLatency(w.bare.medianP50Ms)}, max ${fmtLatency(w.bare.medianMaxMs)})`,
      `${w.p99Ratio.toFixed(1)}x the baseline's p99`,
      `p99 < ${TARGETS.wakeupP99Ms} ms`,
      verdict(w.hearth.medianP99Ms < TARGETS.wakeupP99Ms),
    ]);
  }
  if (r.initialSync) {
    const s = r.initialSync;
    rows.push([
      `Initial sync: ${s.rooms} rooms x ${s.membersPerRoom} members x ${s.messagesPerRoom} messages, full state (${Math.round(s.response.bytes / 1024)} KiB)`,
      `${fmtLatency(s.hearth.medianMs)} (cold, after a restart: ${fmtLatency(s.coldMs)})`,
      `${fmtLatency(s.bare.medianMs)} (bare node:http serialising the same answer)`,
      `${s.ratio.toFixed(1)}x`,
      `< ${TARGETS.initialSyncMs} ms`,
      verdict(s.hearth.medianMs < TARGETS.initialSyncMs),
    ]);
  }
  if (r.stateRes) {
    const s = r.stateRes;
    rows.push([
      `State resolution: 2 forks x ${s.stateEntries} state events, ${s.conflictedKeys} conflicted keys (v${s.roomVersion}, SQLite)`,
      `${fmtLatency(s.store.medianMs)} (of it reads ${fmtLatency(s.storeReads.medianMs)}; from memory ${fmtLatency(s.memory.medianMs)})`,
      `${fmtLatency(s.bare.medianMs)} (copy, split and sort the maps)`,
      `${(s.store.medianMs / s.bare.medianMs).toFixed(1)}x`,
      `< ${TARGETS.stateResMs} ms`,
      verdict(s.store.medianMs < TARGETS.stateResMs),
    ]);
  }
  if (r.sigVerify) {
    const v = r.sigVerify.variants;
    rows.push([
      `Signature checks: a ${r.sigVerify.payloadBytes}-byte PDU (tweetnacl ${fmtRate(v.tweetnacl.medianPerSec, '/s')}, @noble/ed25519 ${fmtRate(v.noble.medianPerSec, '/s')})`,
      `${fmtRate(v.hearth.medianPerSec, 'checks/s')} (canonical JSON + node:crypto)`,
      `${fmtRate(v.crypto.medianPerSec, 'verifications/s')} (node:crypto on the bytes)`,
      `${fmtPct(v.hearth.medianPerSec / v.crypto.medianPerSec)}`,
      '(comparison)',
      '',
    ]);
  }
  if (r.fedTxn) {
    const f = r.fedTxn;
    rows.push([
      `Incoming transaction of ${f.pdusPerTransaction} PDUs (v${f.roomVersion}), PUT /send to 200`,
      `${fmtLatency(f.hearth.medianMs)} (CPU ${fmtLatency(f.hearth.medianCpuMs)})`,
      `${fmtLatency(f.bare.medianMs)} (node:http, parse + ${f.pdusPerTransaction} INSERTs; ${fmtLatency(f.bareDurable.medianMs)} with an fdatasync)`,
      `${(f.hearth.medianMs / f.bare.medianMs).toFixed(1)}x`,
      `< ${TARGETS.fedTxnMs} ms`,
      verdict(f.hearth.medianMs < TARGETS.fedTxnMs),
    ]);
  }
  if (r.fedJoin) {
    const f = r.fedJoin;
    rows.push([
      `Join of a ${f.members}-member room from a second Hearth, until its /sync shows it`,
      `${fmtLatency(f.hearth.medianUsableMs)} (peak RSS ${fmtMiB(f.hearth.medianPeakRssBytes)}, after ${fmtMiB(f.hearth.medianRssAfterBytes)})`,
      `${fmtLatency(f.bare.medianMs)} (node: parse the ${Math.round(f.stateAnswer.bytes / 1024)} KiB state, ${f.bare.rows} INSERTs)`,
      `${(f.hearth.medianUsableMs / f.bare.medianMs).toFixed(1)}x`,
      `< ${TARGETS.fedJoinMs} ms`,
      verdict(f.hearth.medianUsableMs < TARGETS.fedJoinMs),
    ]);
  }
  rows.push(...e2eeRows(r));
  rows.push(...mediaRows(r));
  return table(rows);
}

/** Issue 6: media upload and thumbnails. */
function mediaRows(r) {
  const rows = [];
  if (r.mediaUpload) {
    const u = r.mediaUpload;
    const check = u.check ? (u.check.matches ? 'sha256 matches' : 'sha256 DIFFERS') : 'unchecked';
    rows.push([
      `Upload of ${fmtMiB(u.sizeBytes)}, POST /media/v3/upload (${check})`,
      `${fmtRate(u.hearth.medianMiBps, 'MiB/s')}`,
      `${fmtRate(u.bareHttp.medianMiBps, 'MiB/s')} (bare node:http to a file); fs copy ${fmtRate(u.fsCopy.medianMiBps, 'MiB/s')}`,
      `${fmtPct(u.ratioVsBareHttp)} (of the fs copy: ${fmtPct(u.ratioVsFsCopy)})`,
      '(none: reported)',
      verdict(u.check?.matches),
    ]);
    rows.push([
      '  RSS growth during an upload (peak - before; the cold first one in brackets)',
      `${fmtMiB(u.hearth.medianRssGrowthBytes)}, max ${fmtMiB(u.hearth.maxRssGrowthBytes)} (${fmtMiB(u.hearth.coldRssGrowthBytes)})`,
      `${fmtMiB(u.bareHttp.medianRssGrowthBytes)}, max ${fmtMiB(u.bareHttp.maxRssGrowthBytes)} (${fmtMiB(u.bareHttp.coldRssGrowthBytes)}) (bare node:http)`,
      fmtSigned(u.hearth.medianRssGrowthBytes - u.bareHttp.medianRssGrowthBytes, fmtMiB),
      `< ${fmtMiB(TARGETS.mediaUploadRssGrowthBytes)}`,
      verdict(u.hearth.maxRssGrowthBytes < TARGETS.mediaUploadRssGrowthBytes),
    ]);
  }
  if (r.thumbnails) {
    const t = r.thumbnails;
    const g = t.generation;
    rows.push([
      `Thumbnail generation, ${t.images} 1000x1000 JPEGs, GET of a new size (dynamic_thumbnails)`,
      `${fmtRate(g.hearth.medianPerSec, 'thumbnails/s')} (${fmtLatency(g.hearth.medianMsEach)} each, CPU ${fmtLatency(g.hearth.medianCpuMsEach)})`,
      `${fmtRate(g.bare.medianPerSec, 'thumbnails/s')} (bare sharp in-process, ${fmtLatency(g.bare.medianMsEach)} each)`,
      fmtPct(g.ratio),
      '(none: reported)',
      '-',
    ]);
    const s = t.serving;
    rows.push([
      `Cached thumbnail (${Math.round(t.thumbnailBytes / 1024)} KiB) GETs, ${s.connections} keep-alive conns`,
      `${fmtRate(s.hearth.medianRps, 'req/s')} (p50 ${fmtLatency(s.hearth.medianP50Ms)}, ${fmtRate(s.hearth.medianPerCpuSecond, 'req/CPU-s')})`,
      `${fmtRate(s.bare.medianRps, 'req/s')} (bare static-file node:http, p50 ${fmtLatency(s.bare.medianP50Ms)}, ${fmtRate(s.bare.medianPerCpuSecond, 'req/CPU-s')})`,
      fmtPct(s.ratio),
      '(none: reported)',
      verdict(s.hearth.errors === 0 && s.hearth.non2xx === 0),
    ]);
  }
  return rows;
}

/** Issue 5: the key endpoints and to-device fan-out. */
function e2eeRows(r) {
  const rows = [];
  const cpu = (x) => `CPU ${fmtLatency(x.cpuMsPerRequest)}/request`;
  const keyRow = (label, x, bareWork, target, ok) => [
    label,
    `${fmtLatency(x.hearth.medianMs)} (${fmtLatency(x.hearth.minMs)}–${fmtLatency(x.hearth.maxMs)}; ${cpu(x.hearth)})`,
    `${fmtLatency(x.bare.medianMs)} (bare node:http + SQLite: ${bareWork}; ${cpu(x.bare)}); ` +
      `${fmtLatency(x.durable.medianMs)} with an fsync per commit`,
    `${x.ratio.toFixed(1)}x (${(x.hearth.medianMs / x.durable.medianMs).toFixed(1)}x the fsync one)`,
    `< ${target} ms`,
    verdict(x.hearth.medianMs < target && ok),
  ];
  if (r.keysClaim) {
    const k = r.keysClaim;
    rows.push(
      keyRow(
        `POST /keys/claim: a one-time key of each of ${k.devices} devices (${k.users} users), local`,
        k,
        `${k.devices} SELECT + DELETE`,
        TARGETS.keysClaimMs,
        k.answersMissingKeys.hearth === 0,
      ),
    );
  }
  if (r.otkUpload) {
    const u = r.otkUpload;
    rows.push(
      keyRow(
        `POST /keys/upload: ${u.keys} signed one-time keys (${Math.round(u.bodyBytes / 1024)} KiB)`,
        u,
        `${u.keys} INSERTs`,
        TARGETS.otkUploadMs,
        u.answersWithWrongCount.hearth === 0,
      ),
    );
  }
  if (r.toDevice) {
    const t = r.toDevice;
    rows.push([
      `To-device fan-out: one send to ${t.devices} long-polling devices (${Math.round(t.payloadBytes / 1024)} KiB), until the last has it`,
      `${fmtLatency(t.hearth.medianLastMs)} (p50 ${fmtLatency(t.hearth.medianP50Ms)}, p99 ${fmtLatency(t.hearth.medianP99Ms)}; ${t.hearth.delivered}/${t.hearth.expected} delivered)`,
      `${fmtLatency(t.bare.medianLastMs)} (bare node:http + SQLite, p50 ${fmtLatency(t.bare.medianP50Ms)}, p99 ${fmtLatency(t.bare.medianP99Ms)})`,
      `${t.ratio.toFixed(1)}x`,
      '(none: reported)',
      verdict(t.hearth.delivered === t.hearth.expected && t.hearth.errors === 0),
    ]);
  }
  return rows;
}

function sendsRows(s) {
  const rows = [
    [
      `Sends: ${s.clients} clients in ${s.rooms} rooms, PUT /send each as the last is answered`,
      `${fmtRate(s.hearth.medianRps, 'events/s')} (p50 ${fmtLatency(s.hearth.medianLatencyMs)}, p99 ${fmtLatency(s.hearth.p99LatencyMs)})`,
      `${fmtRate(s.bare.medianRps, 'events/s')} (node:http + an INSERT each, p50 ${fmtLatency(s.bare.medianLatencyMs)}, p99 ${fmtLatency(s.bare.p99LatencyMs)})`,
      `${fmtPct(s.ratio)} (paired rounds: ${fmtPct(s.pairedRatioMedian)})`,
      `>= ${TARGETS.sendsPerSec} events/s and >= ${fmtPct(TARGETS.sendsRatio)} of baseline`,
      verdict(s.hearth.medianRps >= TARGETS.sendsPerSec && s.ratio >= TARGETS.sendsRatio),
    ],
    [
      '  per CPU-second of the server process',
      `${fmtRate(s.hearth.medianPerCpuSecond, 'events/CPU-s')} (busy ${fmtPct(s.hearth.medianCpuShare)})`,
      `${fmtRate(s.bare.medianPerCpuSecond, 'events/CPU-s')} (busy ${fmtPct(s.bare.medianCpuShare)})`,
      fmtPct(s.perCpuRatio),
      '(cross-check)',
      '-',
    ],
    [
      '  answered events found in the database after stopping',
      `${s.verify.hearth.answered - s.verify.hearth.missing} of ${s.verify.hearth.answered}`,
      `${s.verify.bare.answered - s.verify.bare.missing} of ${s.verify.bare.answered}`,
      '',
      'all',
      verdict(s.verify.hearth.missing === 0),
    ],
    [
      `RSS settled, ${s.rss.settledMs / 1000} s after start (the sends server, before set-up)`,
      fmtMiB(s.rss.idle.hearth),
      `${fmtMiB(s.rss.idle.bare)} (node:http + SQLite)`,
      fmtSigned(s.rss.idle.hearth - s.rss.idle.bare, fmtMiB),
      `< ${fmtMiB(TARGETS.idleRssBytes)}`,
      verdict(s.rss.idle.hearth < TARGETS.idleRssBytes),
    ],
    [
      '  RSS after the sends benchmark',
      `${fmtMiB(s.rss.afterSends.hearth)} (peak ${fmtMiB(s.rss.afterSends.hearthPeak)})`,
      `${fmtMiB(s.rss.afterSends.bare)} (node:http + SQLite)`,
      fmtSigned(s.rss.afterSends.hearth - s.rss.afterSends.bare, fmtMiB),
      `< ${fmtMiB(TARGETS.rssAfterSendsBytes)}`,
      verdict(s.rss.afterSends.hearth < TARGETS.rssAfterSendsBytes),
    ],
  ];
  return rows;
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
