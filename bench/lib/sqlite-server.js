// The sends benchmark's baseline: a bare node:http server in its own process that stores
// each PUT .../send/{eventType}/{txnId} as one better-sqlite3 INSERT (its own implicit
// transaction; WAL, synchronous = NORMAL, so no fsync per commit) and answers an event id,
// the least any server that keeps messages must do. GET /_matrix/client/versions answers
// 200 (the bench's readiness check); anything else 404.
// `BENCH_PORT=... node bench/lib/sqlite-server.js DB_FILE`
import http from 'node:http';
import Database from 'better-sqlite3';

const dbFile = process.argv[2];
const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS events (
  stream_ordering INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  json TEXT NOT NULL
)`);
const insert = db.prepare(
  'INSERT INTO events (event_id, room_id, sender, txn_id, json) VALUES (?, ?, ?, ?, ?)',
);
const SEND = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/([^/?]+)$/;
let counter = 0;

function answer(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

http
  .createServer((req, res) => {
    const m = req.method === 'PUT' ? SEND.exec(req.url) : null;
    if (!m) {
      if (req.method === 'GET' && req.url === '/_matrix/client/versions') answer(res, 200, {});
      else answer(res, 404, { errcode: 'M_UNRECOGNIZED' });
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let content;
      try {
        content = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        answer(res, 400, { errcode: 'M_NOT_JSON' });
        return;
      }
      const roomId = decodeURIComponent(m[1]);
      const eventId = `$bench${++counter}`;
      const event = { type: decodeURIComponent(m[2]), room_id: roomId, content };
      const sender = req.headers.authorization ?? '';
      insert.run(eventId, roomId, sender, m[3], JSON.stringify(event));
      answer(res, 200, { event_id: eventId });
    });
  })
  .listen(Number(process.env.BENCH_PORT), '127.0.0.1');
