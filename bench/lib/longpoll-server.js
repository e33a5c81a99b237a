// The wakeup benchmark's baseline: a bare node:http server in its own process that holds
// long-polls and answers them all on one trigger, the least any server with long-polling
// sync must do. GET /poll?since=N is answered at once when something newer than N exists,
// else held; PUT /trigger/{txnId} with a message body makes position N+1 and answers every
// held poll with a sync-shaped body carrying that message (serialised per client, as a
// server filtering per user would), then answers the trigger. GET
// /_matrix/client/versions answers 200 (the bench's readiness check).
// `BENCH_PORT=... node bench/lib/longpoll-server.js`
import http from 'node:http';

let position = 0;
let latest = null;
const held = new Set();

function answer(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function syncBody() {
  return {
    next_batch: String(position),
    rooms: { join: { '!bench:bench.localhost': { timeline: { events: [latest] } } } },
  };
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/poll') {
      if (Number(url.searchParams.get('since') ?? 0) < position) answer(res, 200, syncBody());
      else {
        held.add(res);
        res.on('close', () => held.delete(res));
      }
    } else if (req.method === 'PUT' && url.pathname.startsWith('/trigger/')) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        position++;
        latest = {
          type: 'm.room.message',
          event_id: `$wake${position}`,
          sender: '@sender:bench.localhost',
          origin_server_ts: Date.now(),
          content: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        };
        for (const r of held) answer(r, 200, syncBody());
        held.clear();
        answer(res, 200, { event_id: latest.event_id });
      });
    } else if (req.method === 'GET' && url.pathname === '/_matrix/client/versions') {
      answer(res, 200, {});
    } else answer(res, 404, { errcode: 'M_UNRECOGNIZED' });
  })
  .listen(Number(process.env.BENCH_PORT), '127.0.0.1');
