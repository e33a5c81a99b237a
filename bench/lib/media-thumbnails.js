// Issue 6, thumbnails: generation rate for 1-megapixel JPEGs and the rate at which an
// already made thumbnail is served, each beside a baseline measured in the same run.
//
// Generation is timed on GET /_matrix/client/v1/media/thumbnail of a size that was not
// pre-generated, under dynamic_thumbnails: true: each answer is one decode of the source
// JPEG, one resize, one JPEG encode and the write of the file and its row (what a
// pre-generation run does per size, without the queueing of a run's five sizes). The
// server's thumbnail_sizes is one 32x32 crop, and every upload's run is awaited (a GET of
// that size joins it) before timing, so no background work overlaps. Requests go one at a
// time (Hearth runs image jobs one at a time anyway). Each round asks a new size, so
// nothing is cached. Baseline: sharp in the bench process, with the server's settings
// (cache off, one thread), rendering the same size from the same files to a buffer.
//
// Serving: GET of one made thumbnail over `connections` keep-alive connections (the raw
// load generator, its own process), ABBA rounds against a bare node:http server that stats
// and streams the same bytes from a file for every request.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile } from './cpuprofile.js';
import { runJsonChild, stop } from './procs.js';
import { registerUsers } from './matrix-setup.js';
import { streamFile } from './media-upload.js';
import { makeInstance, startBaseline, startHearth } from './servers.js';
import { HOST, abba, cpuTimeMs, median, perCpuSecond, performance, round } from './util.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));
const SIDE = 1000;

/**
 * `count` distinct 1000x1000 JPEGs (quality 85), written to `dir`: smooth gradients that
 * differ per image with a little noise, so they compress like photographs rather than like
 * flat colour or pure noise.
 */
async function makeJpegs(sharp, dir, count) {
  const files = [];
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(SIDE * SIDE * 3);
    let seed = 12345 + i * 7919;
    for (let y = 0, o = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++, o += 3) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = (seed >> 16) & 15;
        raw[o] = (x * (i + 1) + n) & 255;
        raw[o + 1] = (y * 2 + i * 40 + n) & 255;
        raw[o + 2] = ((x + y) >> 2) + i * 13 + n;
      }
    }
    const jpeg = await sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    const file = join(dir, `source-${i}.jpg`);
    writeFileSync(file, jpeg);
    files.push({ file, bytes: jpeg.length });
  }
  return files;
}

/** GET with a token on a fresh connection; resolves with { status, body (Buffer) }. */
function getBytes(port, path, token) {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const req = http.get({ host: HOST, port, path, agent: false, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(60_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

async function mustGet(port, path, token) {
  const res = await getBytes(port, path, token);
  if (res.status !== 200) {
    throw new Error(`GET ${path} answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
  }
  return res.body;
}

// The bare static-file server: stat and stream BENCH_FILE for every GET /thumb.
const BARE_STATIC_SERVER = `const http = require('node:http');
const fs = require('node:fs');
const file = process.env.BENCH_FILE;
http.createServer((req, res) => {
  if (req.url === '/_matrix/client/versions') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{}');
  }
  fs.stat(file, (err, st) => {
    if (err) { res.writeHead(500); return res.end(); }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': st.size });
    fs.createReadStream(file).pipe(res);
  });
}).listen(Number(process.env.BENCH_PORT), '127.0.0.1');`;

/**
 * The thumbnail benchmark: `images` uploads, `genRounds` generation rounds (each image at a
 * new size), then `serveRounds` ABBA rounds of cached serving. With `cpuProfDir`, Hearth
 * runs under node --cpu-prof and the summary of its profile (set-up included) comes back as
 * `profile`.
 */
export async function benchThumbnails(opts) {
  const result = await measureThumbnails(opts);
  if (opts.cpuProfDir) result.profile = thumbnailsProfile(opts.cpuProfDir, result.hearthPid);
  return result;
}

async function measureThumbnails({
  template,
  tmp,
  images,
  genRounds,
  serveRounds,
  connections,
  warmupMs,
  durationMs,
  cpuProfDir,
  log,
}) {
  const dir = join(tmp, 'thumbnails');
  const srcDir = join(tmp, 'thumbnails-src');
  mkdirSync(srcDir, { recursive: true });
  const sharp = (await import('sharp')).default;
  sharp.cache(false);
  sharp.concurrency(1);
  const sources = await makeJpegs(sharp, srcDir, images);
  const serverName = template.doc.server_name;
  const instance = await makeInstance(template, dir, {
    config: {
      dynamic_thumbnails: true,
      thumbnail_sizes: [{ width: 32, height: 32, method: 'crop' }],
    },
  });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const hearth = await startHearth(instance, { nodeArgs });
  let bare;
  try {
    const [user] = await registerUsers(instance, 'thumbs', 1, 1);
    const mediaIds = [];
    for (const s of sources) {
      const res = await streamFile(instance.port, '/_matrix/media/v3/upload', s.file, s.bytes, {
        token: user.token,
        contentType: 'image/jpeg',
      });
      if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${res.body}`);
      mediaIds.push(JSON.parse(res.body).content_uri.split('/').pop());
    }
    const thumbPath = (id, w, h, method = 'scale') =>
      `/_matrix/client/v1/media/thumbnail/${serverName}/${id}?width=${w}&height=${h}&method=${method}`;
    // Wait for every upload's pre-generation run (the request joins it).
    for (const id of mediaIds)
      await mustGet(instance.port, thumbPath(id, 32, 32, 'crop'), user.token);

    const gen = { hearth: [], bare: [], hearthCpuMs: [] };
    for (let r = 0; r < genRounds; r++) {
      // Scale fits a square source into the box: the output is (150 + 10r) square.
      const w = 200 + 10 * r;
      const h = 150 + 10 * r;
      const runHearth = async () => {
        const cpu0 = cpuTimeMs(hearth.child.pid);
        const t0 = performance.now();
        for (const id of mediaIds) await mustGet(instance.port, thumbPath(id, w, h), user.token);
        const ms = performance.now() - t0;
        gen.hearthCpuMs.push(cpuTimeMs(hearth.child.pid) - cpu0);
        gen.hearth.push(ms);
      };
      const runBare = async () => {
        const t0 = performance.now();
        for (const s of sources) {
          await sharp(s.file, { failOn: 'error', autoOrient: true })
            .resize(h, h, { fit: 'fill' })
            .jpeg({ quality: 80 })
            .toBuffer();
        }
        gen.bare.push(performance.now() - t0);
      };
      for (const run of abba(r, runHearth, runBare)) await run();
      log(
        `  generation round ${r + 1}/${genRounds} (${h}x${h}): Hearth ${round((images * 1000) / gen.hearth.at(-1))}/s,` +
          ` bare sharp ${round((images * 1000) / gen.bare.at(-1))}/s`,
      );
    }

    // Cached serving: the first round's thumbnail of the first image, made above.
    const path = thumbPath(mediaIds[0], 200, 150);
    const thumb = await mustGet(instance.port, path, user.token);
    const thumbFile = join(srcDir, 'thumb.jpg');
    writeFileSync(thumbFile, thumb);
    bare = await startBaseline(['-e', BARE_STATIC_SERVER], { env: { BENCH_FILE: thumbFile } });
    const bareCopy = await mustGet(bare.port, '/thumb');
    if (!bareCopy.equals(thumb)) throw new Error('the bare server serves other bytes');
    const serve = { hearth: [], bare: [] };
    const load = (port, pid, p, token) =>
      runJsonChild(
        [
          LOADGEN,
          JSON.stringify({
            client: 'raw',
            port,
            path: p,
            token,
            connections,
            warmupMs,
            durationMs,
            serverPid: pid,
          }),
        ],
        { timeoutMs: warmupMs + durationMs + 60_000 },
      );
    for (let r = 0; r < serveRounds; r++) {
      const runHearth = async () =>
        serve.hearth.push(await load(instance.port, hearth.child.pid, path, user.token));
      const runBare = async () => serve.bare.push(await load(bare.port, bare.child.pid, '/thumb'));
      for (const run of abba(r, runHearth, runBare)) await run();
      const hh = serve.hearth.at(-1);
      const bb = serve.bare.at(-1);
      log(
        `  serving round ${r + 1}/${serveRounds}: Hearth ${Math.round(hh.rps)} req/s (${hh.errorCount} errors),` +
          ` bare ${Math.round(bb.rps)} req/s`,
      );
    }
    const genRate = (xs) => median(xs.map((ms) => (images * 1000) / ms));
    const serveStats = (xs) => ({
      medianRps: round(median(xs.map((x) => x.rps))),
      medianP50Ms: median(xs.map((x) => x.latencyMs.median)),
      medianP99Ms: median(xs.map((x) => x.latencyMs.p99)),
      medianPerCpuSecond: round(median(xs.map((x) => perCpuSecond(x.ok, x.serverCpuMs)))),
      errors: xs.reduce((n, x) => n + x.errorCount, 0),
      non2xx: xs.reduce(
        (n, x) =>
          n +
          Object.entries(x.statuses ?? {})
            .filter(([s]) => !s.startsWith('2'))
            .reduce((m, [, c]) => m + c, 0),
        0,
      ),
    });
    const hearthGen = genRate(gen.hearth);
    const bareGen = genRate(gen.bare);
    const hs = serveStats(serve.hearth);
    const bs = serveStats(serve.bare);
    return {
      hearthPid: hearth.child.pid,
      images,
      sourceWidth: SIDE,
      sourceHeight: SIDE,
      medianSourceBytes: median(sources.map((s) => s.bytes)),
      thumbnailBytes: thumb.length,
      generation: {
        rounds: genRounds,
        hearth: {
          medianPerSec: round(hearthGen, 2),
          medianMsEach: round(1000 / hearthGen, 1),
          medianCpuMsEach: round(median(gen.hearthCpuMs) / images, 1),
        },
        bare: { medianPerSec: round(bareGen, 2), medianMsEach: round(1000 / bareGen, 1) },
        ratio: hearthGen / bareGen,
      },
      serving: {
        rounds: serveRounds,
        connections,
        hearth: hs,
        bare: bs,
        ratio: hs.medianRps / bs.medianRps,
      },
      samples: {
        generationMs: gen,
        serving: serve.hearth.map((x, i) => [x.rps, serve.bare[i].rps]),
      },
    };
  } finally {
    await stop(hearth.child);
    if (bare) await stop(bare.child);
  }
}

/** The summary of a --cpu-prof profile of process `pid` in `dir`, once it has stopped (also used for mediaupload). */
export function thumbnailsProfile(dir, pid) {
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
  return file ? { file: join(dir, file), ...summariseProfile(join(dir, file)) } : undefined;
}
