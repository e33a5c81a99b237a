// Issue 6, media upload: a 100 MiB file POSTed to /_matrix/media/v3/upload of a real
// `hearth serve`, streamed from a file made once in the temp dir. Each round times three
// things in rotating order on the same file: Hearth's upload (request start to its answer),
// a bare node:http server piping the body into a file while hashing it (Hearth hashes too),
// and a bare node:fs copy (read stream -> write stream, the same path a server's bytes take
// minus the socket). During each upload the server's RSS is read before, polled every
// 10 ms, and its VmHWM (reset through /proc/PID/clear_refs where the kernel allows) read at
// the end: the growth is the peak minus the RSS before (after one untimed warm-up upload to
// each server, whose growth is reported apart as the cold figure). The stored bytes are checked once
// by downloading the media back and comparing sha256.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { copyFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { clearInterval, setInterval } from 'node:timers';
import { stop } from './procs.js';
import { registerUsers } from './matrix-setup.js';
import { makeInstance, startBaseline, startHearth } from './servers.js';
import { HOST, MiB, median, performance, readRss, round } from './util.js';

/** A file of `size` random (incompressible) bytes; resolves with its sha256. */
export function makeRandomFile(path, size) {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size;) {
      const chunk = randomBytes(Math.min(MiB, size - done));
      hash.update(chunk);
      writeSync(fd, chunk);
      done += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Streams `file` as the body of one request (fresh connection) and resolves with
 * { status, body, ms } once the answer has been read.
 */
export function streamFile(port, path, file, size, { token, contentType } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers = { 'content-type': contentType, 'content-length': size };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: HOST, port, path, method: 'POST', agent: false, headers });
    req.setTimeout(120_000, () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        }),
      );
    });
    createReadStream(file).on('error', reject).pipe(req);
  });
}

/** GET with a token, hashing the answer as it streams in; resolves with { status, sha256, bytes }. */
function hashDownload(port, path, token) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: HOST, port, path, agent: false, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (c) => {
          hash.update(c);
          bytes += c.length;
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode, sha256: hash.digest('hex'), bytes }));
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error('download timed out')));
    req.on('error', reject);
  });
}

/**
 * Runs `upload()` while watching process `pid`'s memory: RSS before, the highest RSS seen by
 * polling every 10 ms, and VmHWM after a reset of the peak (clear_refs 5; without it VmHWM
 * is the lifetime peak and only the polled figure is used). Resolves with the upload's
 * result and { rssBefore, peak, growth }.
 */
export async function watchRss(pid, upload) {
  let hwmReset = false;
  try {
    // Linux >= 4.0: writing 5 resets VmHWM to the current RSS.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    hwmReset = true;
  } catch {
    // not allowed here: polling alone
  }
  const before = readRss(pid).rss;
  let polled = before;
  const timer = setInterval(() => {
    try {
      polled = Math.max(polled, readRss(pid).rss);
    } catch {
      // the process went away; the upload will fail
    }
  }, 10);
  try {
    const result = await upload();
    const after = readRss(pid);
    const peak = Math.max(polled, after.rss, hwmReset ? after.hwm : 0);
    return { result, rssBefore: before, peak, growth: peak - before, hwmReset };
  } finally {
    clearInterval(timer);
  }
}

// The bare baseline: GET /versions answers 200 (startBaseline polls it); POST /upload pipes
// the body into a new file under BENCH_DIR while hashing it, then answers its sha256.
const BARE_UPLOAD_SERVER = `const http = require('node:http');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { pipeline } = require('node:stream/promises');
const { Transform } = require('node:stream');
let n = 0;
http.createServer(async (req, res) => {
  if (req.method === 'GET' && req.url === '/_matrix/client/versions') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{}');
  }
  if (req.method !== 'POST') { res.writeHead(404); return res.end(); }
  const hash = crypto.createHash('sha256');
  const file = process.env.BENCH_DIR + '/upload-' + ++n;
  try {
    await pipeline(req, new Transform({ transform(c, _e, cb) { hash.update(c); cb(null, c); } }),
      fs.createWriteStream(file));
    const body = JSON.stringify({ sha256: hash.digest('hex'), file });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } catch (err) { res.writeHead(500); res.end(String(err)); }
}).listen(Number(process.env.BENCH_PORT), '127.0.0.1');`;

/**
 * The upload benchmark. Resolves with the medians: MiB/s of Hearth, the bare node:http
 * server and the bare fs copy; RSS growth of Hearth and the bare server; the sha256 check.
 */
export async function benchMediaUpload({ template, tmp, runs, sizeMiB = 100, cpuProfDir, log }) {
  const size = sizeMiB * MiB;
  const dir = join(tmp, 'mediaupload');
  const file = join(tmp, 'mediaupload-source.bin');
  const bareDir = join(tmp, 'mediaupload-bare');
  mkdirSync(bareDir, { recursive: true });
  const sha256 = makeRandomFile(file, size);
  const instance = await makeInstance(template, dir, {
    config: { max_upload_size: `${sizeMiB * 2}M` },
  });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const hearth = await startHearth(instance, { nodeArgs });
  const bare = await startBaseline(['-e', BARE_UPLOAD_SERVER], { env: { BENCH_DIR: bareDir } });
  const samples = { hearth: [], bareHttp: [], fsCopy: [] };
  let check;
  try {
    const [user] = await registerUsers(instance, 'uploader', 1, 1);
    const kinds = {
      hearth: async () => {
        const w = await watchRss(hearth.child.pid, () =>
          streamFile(instance.port, '/_matrix/media/v3/upload?filename=big.bin', file, size, {
            token: user.token,
            contentType: 'application/octet-stream',
          }),
        );
        if (w.result.status !== 200) {
          throw new Error(`upload answered ${w.result.status}: ${w.result.body.slice(0, 300)}`);
        }
        return { ms: w.result.ms, ...w, contentUri: JSON.parse(w.result.body).content_uri };
      },
      bareHttp: async () => {
        const w = await watchRss(bare.child.pid, () =>
          streamFile(bare.port, '/upload', file, size, { contentType: 'application/octet-stream' }),
        );
        const answer = JSON.parse(w.result.body);
        if (answer.sha256 !== sha256) throw new Error('the bare server stored other bytes');
        rmSync(answer.file, { force: true });
        return { ms: w.result.ms, ...w };
      },
      fsCopy: async () => {
        const t0 = performance.now();
        const dest = join(bareDir, 'copy.bin');
        await pipeline(createReadStream(file), createWriteStream(dest));
        const ms = performance.now() - t0;
        rmSync(dest, { force: true });
        return { ms };
      },
    };
    // One untimed upload to each server first: the first request loads code and grows the
    // heap and socket buffers once (a bare node:http server grows as much), which says
    // nothing about what an upload holds. Its growth is kept and reported as the cold figure.
    const cold = { hearth: await kinds.hearth(), bareHttp: await kinds.bareHttp() };
    log(
      `  cold first upload: Hearth RSS +${round(cold.hearth.growth / MiB)} MiB, bare node:http +${round(cold.bareHttp.growth / MiB)} MiB (not counted)`,
    );
    const order = ['hearth', 'bareHttp', 'fsCopy'];
    for (let r = 0; r < runs; r++) {
      // Rotate who goes first, so page-cache and drift effects fall on each alike.
      const rotated = [...order.slice(r % 3), ...order.slice(0, r % 3)];
      const line = [];
      for (const kind of rotated) {
        const s = await kinds[kind]();
        samples[kind].push(s);
        line.push(
          `${kind} ${round(size / MiB / (s.ms / 1000))} MiB/s` +
            (s.growth === undefined ? '' : ` (RSS +${round(s.growth / MiB)} MiB)`),
        );
      }
      log(`  run ${r + 1}/${runs}: ${line.join(', ')}`);
      if (r === 0) {
        const mediaId = samples.hearth[0].contentUri.split('/').pop();
        const d = await hashDownload(
          instance.port,
          `/_matrix/client/v1/media/download/${template.doc.server_name}/${mediaId}`,
          user.token,
        );
        check = { status: d.status, bytes: d.bytes, matches: d.sha256 === sha256 };
        log(
          `  downloaded back: ${d.status}, ${d.bytes} bytes, sha256 ${check.matches ? 'matches' : 'DIFFERS'}`,
        );
      }
    }
    // A plain copyFile (copy_file_range in the kernel): the floor of what a copy costs.
    const copyFileMs = [];
    for (let r = 0; r < Math.min(runs, 3); r++) {
      const dest = join(bareDir, 'copyfile.bin');
      const t0 = performance.now();
      await copyFile(file, dest);
      copyFileMs.push(performance.now() - t0);
      rmSync(dest, { force: true });
    }
    const rate = (xs) => median(xs.map((s) => size / MiB / (s.ms / 1000)));
    return {
      hearthPid: hearth.child.pid,
      sizeBytes: size,
      runs,
      hearth: {
        medianMiBps: round(rate(samples.hearth)),
        medianMs: round(median(samples.hearth.map((s) => s.ms))),
        medianRssGrowthBytes: median(samples.hearth.map((s) => s.growth)),
        maxRssGrowthBytes: Math.max(...samples.hearth.map((s) => s.growth)),
        medianRssBeforeBytes: median(samples.hearth.map((s) => s.rssBefore)),
        coldRssGrowthBytes: cold.hearth.growth,
        hwmReset: samples.hearth[0]?.hwmReset,
      },
      bareHttp: {
        medianMiBps: round(rate(samples.bareHttp)),
        medianRssGrowthBytes: median(samples.bareHttp.map((s) => s.growth)),
        maxRssGrowthBytes: Math.max(...samples.bareHttp.map((s) => s.growth)),
        coldRssGrowthBytes: cold.bareHttp.growth,
      },
      fsCopy: { medianMiBps: round(rate(samples.fsCopy)) },
      copyFile: { medianMiBps: round(size / MiB / (median(copyFileMs) / 1000)) },
      ratioVsBareHttp: rate(samples.hearth) / rate(samples.bareHttp),
      ratioVsFsCopy: rate(samples.hearth) / rate(samples.fsCopy),
      check,
      samples: Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [
          k,
          v.map((s) => ({ ms: round(s.ms), growthBytes: s.growth })),
        ]),
      ),
    };
  } finally {
    await stop(hearth.child);
    await stop(bare.child);
    rmSync(file, { force: true });
  }
}
