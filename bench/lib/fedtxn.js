// Benchmark: an incoming federation transaction of 50 PDUs, end to end (issue 4).
//
// A real Hearth process (`hearth serve`, configured as `hearth demo` configures its servers:
// fed-setup.js) holds a public room made by its user Alice through the client API; a user of
// a second server, the signer in the bench process (fed-setup.js startSigner), joins it with
// make_join/send_join. The signer then sends transactions of 50 message PDUs, each chained
// on the one before (so every PDU's prev_events are known: no gap to fill), signed with its
// own key, which Hearth fetched over TLS from the signer's key server on the first request.
// Timed: from sending PUT /_matrix/federation/v1/send/{txnId} to the end of the 200 answer
// (the body serialised and the request signed before the clock starts), on a keep-alive
// connection to Hearth's plain loopback listener. Every answer must accept all 50 PDUs, and
// at the end Alice's /messages must show every PDU sent.
//
// Baselines, in the same run (interleaved, ABBA order): bare node:http in its own process
// that parses the same kind of body (50 PDUs built the same way) and inserts 50 rows into
// SQLite in one transaction (WAL, synchronous NORMAL, as sqlite-server.js for one row),
// answering a pdus map of 50 empty results; and the same server made durable: it answers
// only after one fdatasync of the WAL, the guarantee Hearth's writer gives each commit
// (server/db/writer.ts), so the pair shows what durability alone costs on this disk.
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { summariseProfile } from './cpuprofile.js';
import { stop } from './procs.js';
import { registerUser, startBaseline, startHearth } from './servers.js';
import { createPublicRoom } from './matrix-setup.js';
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
import { cpuTimeMs, median, requestJson, round } from './util.js';

const BARE_TXN_SERVER = `const http = require('node:http');
const Database = require(process.env.BENCH_SQLITE);
const fs = require('node:fs');
const db = new Database(process.env.BENCH_DB);
const durable = process.env.BENCH_DURABLE === '1';
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS events (stream_ordering INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, room_id TEXT NOT NULL, sender TEXT NOT NULL, json TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO events (event_id, room_id, sender, json) VALUES (?, ?, ?, ?)');
let counter = 0;
const insertAll = db.transaction((pdus) => {
  const results = {};
  for (const pdu of pdus) {
    const id = '$bare' + ++counter;
    insert.run(id, String(pdu.room_id), String(pdu.sender), JSON.stringify(pdu));
    results[id] = {};
  }
  return results;
});
function answer(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/_matrix/client/versions') return answer(res, 200, {});
    if (req.method !== 'PUT' || !req.url.startsWith('/_matrix/federation/v1/send/')) return answer(res, 404, {});
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { return answer(res, 400, { errcode: 'M_NOT_JSON' }); }
    const pdus = insertAll(body.pdus);
    if (!durable) return answer(res, 200, { pdus });
    const fd = fs.openSync(process.env.BENCH_DB + '-wal', 'r');
    fs.fdatasync(fd, () => {
      fs.closeSync(fd);
      answer(res, 200, { pdus });
    });
  });
}).listen(Number(process.env.BENCH_PORT), '127.0.0.1');`;

/** `count` message PDUs of `sender` chained on `chain`'s head, and their ids. */
function messages(code, signer, chain, sender, count, label) {
  const pdus = [];
  const ids = [];
  for (let i = 0; i < count; i++) {
    const built = nextEvent(code, signer, chain, {
      type: 'm.room.message',
      sender,
      content: { msgtype: 'm.text', body: `${label} message ${i}: an ordinary line of text` },
      authEvents: chain.messageAuth(chain.members.get(sender)),
    });
    pdus.push(built.pdu);
    ids.push(built.eventId);
  }
  return { pdus, ids };
}

/** Every event id Alice's /messages shows, newest first, until all of `want` are seen. */
async function shownIds(port, token, roomId, want) {
  const seen = new Set();
  let from;
  for (let page = 0; page < 50; page++) {
    const q = `dir=b&limit=100${from ? `&from=${encodeURIComponent(from)}` : ''}`;
    const r = await requestJson(
      port,
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${q}`,
      { headers: { authorization: `Bearer ${token}` }, timeoutMs: 60_000 },
    );
    for (const e of r.chunk) seen.add(e.event_id);
    if (want.every((id) => seen.has(id)) || !r.end || r.chunk.length === 0) break;
    from = r.end;
  }
  return seen;
}

/** The top self-time functions of Hearth's CPU profile (node writes it at exit). */
function profileSummary(dir, pid) {
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
  if (!file) return { error: `no .cpuprofile for pid ${pid} in ${dir}` };
  return { file: join(dir, file), ...summariseProfile(join(dir, file)) };
}

/** `cpuProfDir`: run Hearth under node --cpu-prof and keep its profile there. */
export async function benchFedTxn({ tmp, runs, pdus = 50, cpuProfDir, log }) {
  const code = await loadFedCode();
  const dir = join(tmp, 'fedtxn');
  mkdirSync(join(dir, 'hearth'), { recursive: true });
  const pki = createPki(code, join(dir, 'pki'));
  const signer = await startSigner(code, pki);
  const instance = await makeFederatingHearth(code, pki, join(dir, 'hearth'));
  const to = { serverName: instance.serverName, port: instance.port };
  let hearth;
  const bares = {};
  try {
    hearth = await startHearth(instance, {
      nodeArgs: cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [],
    });
    const alice = await registerUser(instance, 'alice', 'bench password');
    const roomId = await createPublicRoom(instance.port, { token: alice.access_token }, 'fedtxn');
    const chain = await signerJoin(code, signer, to, {
      roomId,
      localpart: 'sender',
      token: alice.access_token,
    });
    const sender = signer.userId('sender');
    log(
      `  ${instance.serverName} (Hearth, room version ${chain.version.id}) and ${signer.serverName} (the signer) federating; ${sender} joined`,
    );
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    for (const [name, durable] of [
      ['bare', '0'],
      ['durable', '1'],
    ]) {
      bares[name] = await startBaseline(['-e', BARE_TXN_SERVER], {
        env: {
          BENCH_SQLITE: sqlite,
          BENCH_DB: join(dir, `${name}.sqlite`),
          BENCH_DURABLE: durable,
        },
      });
    }
    // The baselines get bodies built the same way from a copy of the chain (they do not
    // read them): the same size and the same JSON to parse.
    const bareChain = { ...chain, members: new Map(chain.members) };
    const baseline = async (name) => {
      const m = messages(code, signer, bareChain, sender, pdus, `${name} ${txn}`);
      const to = { serverName: instance.serverName, port: bares[name].port };
      const r = await signer.requestOk(
        to,
        'PUT',
        `/_matrix/federation/v1/send/${name}${txn}`,
        transactionBody(signer, m.pdus),
      );
      if (Object.keys(r.json.pdus).length !== pdus)
        throw new Error(`the ${name} baseline lost PDUs`);
      return { ms: r.ms };
    };
    let txn = 0;
    const sent = [];
    const kinds = {
      hearth: async () => {
        const label = `txn ${++txn}`;
        const m = messages(code, signer, chain, sender, pdus, label);
        const cpu0 = cpuTimeMs(hearth.child.pid);
        const r = await signer.requestOk(
          to,
          'PUT',
          `/_matrix/federation/v1/send/bench${txn}`,
          transactionBody(signer, m.pdus),
        );
        const cpuMs = cpuTimeMs(hearth.child.pid) - cpu0;
        assertAccepted(r.json, m.ids);
        sent.push(...m.ids);
        return { ms: r.ms, cpuMs, bytes: Buffer.byteLength(JSON.stringify(m.pdus)) };
      },
      bare: () => baseline('bare'),
      durable: () => baseline('durable'),
    };
    // Warm-up: the first transaction also fetches the signer's key (once, then cached).
    const warm = await kinds.hearth();
    await kinds.bare();
    await kinds.durable();
    log(`  warm-up transaction (includes fetching the signer's key): ${round(warm.ms, 1)} ms`);
    const samples = { hearth: [], hearthCpu: [], bare: [], durable: [] };
    const order = ['hearth', 'bare', 'durable'];
    for (let r = 0; r < runs; r++) {
      for (const kind of r % 2 === 0 ? order : [...order].reverse()) {
        const res = await kinds[kind]();
        samples[kind].push(res.ms);
        if (kind === 'hearth') samples.hearthCpu.push(res.cpuMs);
      }
    }
    const shown = await shownIds(instance.port, alice.access_token, roomId, sent);
    const missing = sent.filter((id) => !shown.has(id));
    if (missing.length) {
      throw new Error(`${missing.length} of ${sent.length} accepted PDUs missing from /messages`);
    }
    const result = {
      pdusPerTransaction: pdus,
      roomVersion: chain.version.id,
      transport: 'plain HTTP on loopback, keep-alive (Hearth and baseline alike)',
      runs,
      bodyBytes: warm.bytes,
      shownInMessages: sent.length,
      warmUpMs: round(warm.ms, 1),
      hearth: {
        medianMs: round(median(samples.hearth), 1),
        samplesMs: samples.hearth.map((x) => round(x, 1)),
        medianCpuMs: round(median(samples.hearthCpu), 0),
      },
      bare: {
        medianMs: round(median(samples.bare), 1),
        samplesMs: samples.bare.map((x) => round(x, 1)),
      },
      bareDurable: {
        medianMs: round(median(samples.durable), 1),
        samplesMs: samples.durable.map((x) => round(x, 1)),
      },
      signerKeyFetches: signer.seen.keyRequests,
    };
    log(
      `  ${pdus} PDUs a transaction: Hearth median ${result.hearth.medianMs} ms (CPU ${result.hearth.medianCpuMs} ms),` +
        ` bare node:http + SQLite ${result.bare.medianMs} ms (${result.bareDurable.medianMs} ms with an fdatasync); all ${sent.length} PDUs accepted and shown by /messages`,
    );
    if (cpuProfDir) {
      await stop(hearth.child);
      result.profile = profileSummary(cpuProfDir, hearth.child.pid);
    }
    return result;
  } finally {
    await Promise.all([hearth, ...Object.values(bares)].map((p) => p && stop(p.child)));
    await signer.close();
  }
}
