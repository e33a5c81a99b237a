// The end-to-end encryption benchmarks' baseline: a bare node:http server in its own process
// doing the least any server must do for the same requests, on plain better-sqlite3 (WAL,
// synchronous = NORMAL, like the other baselines): no auth check (the access token is
// "user|device" in clear), no signature check, no validation beyond JSON.parse.
// - POST /_matrix/client/v3/keys/upload: device keys (one INSERT OR REPLACE) and one-time
//   keys (one INSERT each), in one transaction; answers the one-time-key count.
// - POST /_matrix/client/v3/keys/claim: per requested device, the first key of the algorithm
//   (SELECT ... LIMIT 1) deleted, in one transaction; answers them as /keys/claim does.
// - PUT /_matrix/client/v3/sendToDevice/{type}/{txnId}: one inbox row per device in one
//   transaction, then every held poll of a device that got a message is answered with it.
// - GET /_matrix/client/v3/sync?since=N&timeout=T: the device's inbox after N (deleting what
//   N acknowledges), answered at once when there is something, else held until a
//   sendToDevice brings something (or T passes).
// GET /_matrix/client/versions answers 200 (the bench's readiness check); anything else 404.
// `BENCH_PORT=... [BENCH_DURABLE=1] node bench/lib/e2ee-baseline-server.js DB_FILE`
import http from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]);
db.pragma('journal_mode = WAL');
// BENCH_DURABLE=1: synchronous = FULL, an fsync of the WAL at every commit, the durability
// Hearth's writer gives each commit (the default, NORMAL, syncs only at checkpoints).
db.pragma(process.env.BENCH_DURABLE === '1' ? 'synchronous = FULL' : 'synchronous = NORMAL');
db.exec(`
CREATE TABLE IF NOT EXISTS device_keys (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id));
CREATE TABLE IF NOT EXISTS one_time_keys (
  user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL, key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, device_id, algorithm, key_id));
CREATE TABLE IF NOT EXISTS inbox (
  stream_id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL,
  message_json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_device ON inbox (user_id, device_id, stream_id);
`);
const st = {
  putDeviceKeys: db.prepare(
    'INSERT OR REPLACE INTO device_keys (user_id, device_id, key_json) VALUES (?, ?, ?)',
  ),
  putOtk: db.prepare(
    'INSERT OR IGNORE INTO one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES (?, ?, ?, ?, ?)',
  ),
  countOtks: db.prepare(
    'SELECT algorithm, COUNT(*) AS n FROM one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm',
  ),
  firstOtk: db.prepare(
    'SELECT key_id, key_json FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? LIMIT 1',
  ),
  deleteOtk: db.prepare(
    'DELETE FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?',
  ),
  putInbox: db.prepare(
    'INSERT INTO inbox (stream_id, user_id, device_id, message_json) VALUES (?, ?, ?, ?)',
  ),
  readInbox: db.prepare(
    'SELECT stream_id, message_json FROM inbox WHERE user_id = ? AND device_id = ? AND stream_id > ? ORDER BY stream_id',
  ),
  ackInbox: db.prepare('DELETE FROM inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ?'),
  maxStream: db.prepare('SELECT COALESCE(MAX(stream_id), 0) AS m FROM inbox'),
};
let stream = st.maxStream.get().m;

const upload = db.transaction((userId, deviceId, body) => {
  if (body.device_keys) st.putDeviceKeys.run(userId, deviceId, JSON.stringify(body.device_keys));
  for (const [id, key] of Object.entries(body.one_time_keys ?? {})) {
    const colon = id.indexOf(':');
    st.putOtk.run(userId, deviceId, id.slice(0, colon), id.slice(colon + 1), JSON.stringify(key));
  }
  const counts = {};
  for (const r of st.countOtks.all(userId, deviceId)) counts[r.algorithm] = r.n;
  return { one_time_key_counts: counts };
});

const claim = db.transaction((wanted) => {
  const oneTimeKeys = {};
  for (const [userId, devices] of Object.entries(wanted)) {
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      const row = st.firstOtk.get(userId, deviceId, algorithm);
      if (!row) continue;
      st.deleteOtk.run(userId, deviceId, algorithm, row.key_id);
      (oneTimeKeys[userId] ??= {})[deviceId] = {
        [`${algorithm}:${row.key_id}`]: JSON.parse(row.key_json),
      };
    }
  }
  return { one_time_keys: oneTimeKeys, failures: {} };
});

/** Held polls: "user|device" -> { res, timer }. */
const held = new Map();

const deliver = db.transaction((sender, type, messages) => {
  const out = [];
  for (const [userId, devices] of Object.entries(messages)) {
    for (const [deviceId, content] of Object.entries(devices)) {
      const message = { sender, type, content };
      st.putInbox.run(++stream, userId, deviceId, JSON.stringify(message));
      out.push([`${userId}|${deviceId}`, message]);
    }
  }
  return out;
});

function answer(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function readBody(req, res, then) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      answer(res, 400, { errcode: 'M_NOT_JSON' });
      return;
    }
    then(body);
  });
}

/** "user|device" from the Authorization header (the baseline's whole notion of auth). */
function who(req) {
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const bar = token.indexOf('|');
  return { key: token, userId: token.slice(0, bar), deviceId: token.slice(bar + 1) };
}

function poll(req, res, url) {
  const { key, userId, deviceId } = who(req);
  const since = Number(url.searchParams.get('since') ?? 0);
  if (since > 0) st.ackInbox.run(userId, deviceId, since);
  const rows = st.readInbox.all(userId, deviceId, since);
  if (rows.length) {
    answer(res, 200, {
      next_batch: String(rows.at(-1).stream_id),
      to_device: { events: rows.map((r) => JSON.parse(r.message_json)) },
    });
    return;
  }
  const timeout = Number(url.searchParams.get('timeout') ?? 0);
  if (timeout <= 0) {
    answer(res, 200, { next_batch: String(Math.max(since, stream)), to_device: { events: [] } });
    return;
  }
  const entry = {
    res,
    timer: setTimeout(() => {
      held.delete(key);
      answer(res, 200, { next_batch: String(since), to_device: { events: [] } });
    }, timeout),
  };
  held.set(key, entry);
  res.on('close', () => {
    if (held.get(key) === entry) {
      clearTimeout(entry.timer);
      held.delete(key);
    }
  });
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/_matrix/client/versions') answer(res, 200, {});
    else if (req.method === 'GET' && path === '/_matrix/client/v3/sync') poll(req, res, url);
    else if (req.method === 'POST' && path === '/_matrix/client/v3/keys/upload') {
      const { userId, deviceId } = who(req);
      readBody(req, res, (body) => answer(res, 200, upload(userId, deviceId, body)));
    } else if (req.method === 'POST' && path === '/_matrix/client/v3/keys/claim') {
      readBody(req, res, (body) => answer(res, 200, claim(body.one_time_keys ?? {})));
    } else if (req.method === 'PUT' && path.startsWith('/_matrix/client/v3/sendToDevice/')) {
      const type = decodeURIComponent(path.split('/')[5]);
      const { userId } = who(req);
      readBody(req, res, (body) => {
        for (const [key, message] of deliver(userId, type, body.messages ?? {})) {
          const h = held.get(key);
          if (!h) continue;
          held.delete(key);
          clearTimeout(h.timer);
          answer(h.res, 200, { next_batch: String(stream), to_device: { events: [message] } });
        }
        answer(res, 200, {});
      });
    } else answer(res, 404, { errcode: 'M_UNRECOGNIZED' });
  })
  .listen(Number(process.env.BENCH_PORT), '127.0.0.1');
