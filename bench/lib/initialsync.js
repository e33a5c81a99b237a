// Benchmark 8: initial sync. One account in R rooms, each with 20 members (the account and
// 19 others, shared across the rooms) and 20 messages, all made through the client-server
// API of the running server. The figure is the time of GET /sync without `since` (no filter,
// so full member state), median of N, after the server was restarted (the first, cold sync
// is reported apart) and one untimed sync. Baseline in the same run: bare node:http
// answering the same sync body, re-serialised from the parsed object on every request (the
// least any server must do to answer it), timed the same way, the runs interleaved.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  api,
  createPublicRoom,
  inPool,
  joinRoom,
  registerUsers,
  sendText,
} from './matrix-setup.js';
import { stop } from './procs.js';
import { LIFTED_ROOM_LIMITS, makeInstance, startBaseline, startHearth } from './servers.js';
import { median, performance, request, round } from './util.js';

const MEMBERS = 20;
const MESSAGES = 20;
const SYNC_PATH = '/_matrix/client/v3/sync';

/** Bare node:http answering GET /_matrix/client/v3/sync with the JSON in BENCH_FILE. */
const JSON_SERVER = `const http = require('node:http');
const body = JSON.parse(require('node:fs').readFileSync(process.env.BENCH_FILE, 'utf8'));
http.createServer((req, res) => {
  if (req.method === 'GET' && (req.url.startsWith(${JSON.stringify(SYNC_PATH)}) || req.url === '/_matrix/client/versions')) {
    const payload = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  } else {
    res.writeHead(404);
    res.end();
  }
}).listen(Number(process.env.BENCH_PORT), '127.0.0.1');`;

/** One GET /sync; resolves with its wall time in ms and the body. */
async function timedSync(port, token) {
  const t0 = performance.now();
  const res = await request(port, SYNC_PATH, {
    headers: { authorization: `Bearer ${token}` },
    timeoutMs: 60_000,
  });
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`sync answered ${res.status}: ${res.body.slice(0, 300)}`);
  return { ms, body: res.body };
}

/** What an initial sync holds: rooms, state and timeline events, bytes. */
function describe(body) {
  const join = JSON.parse(body).rooms?.join ?? {};
  const rooms = Object.values(join);
  const count = (f) => rooms.reduce((n, r) => n + (f(r)?.length ?? 0), 0);
  return {
    bytes: Buffer.byteLength(body),
    rooms: rooms.length,
    stateEvents: count((r) => r.state?.events),
    timelineEvents: count((r) => r.timeline?.events),
  };
}

export async function benchInitialSync({ template, tmp, rooms, runs, log }) {
  const inst = await makeInstance(template, join(tmp, 'initialsync'), {
    logLevel: 'warn',
    bcryptRounds: 4,
    config: LIFTED_ROOM_LIMITS,
  });
  let hearth = await startHearth(inst);
  let bare;
  try {
    const t0 = performance.now();
    const users = await registerUsers(inst, 'member', MEMBERS);
    const [me, ...others] = users;
    const roomIds = await inPool(
      Array.from({ length: rooms }, (_, i) => i),
      4,
      (i) => createPublicRoom(inst.port, me, `initial sync ${i}`),
    );
    const joins = roomIds.flatMap((roomId) => others.map((u) => [u, roomId]));
    await inPool(joins, 16, ([u, roomId]) => joinRoom(inst.port, u, roomId));
    const sends = roomIds.flatMap((roomId) =>
      Array.from({ length: MESSAGES }, (_, k) => [users[k % MEMBERS], roomId, k]),
    );
    await inPool(sends, 16, ([u, roomId, k]) => sendText(inst.port, u, roomId, `message ${k}`));
    const setupMs = performance.now() - t0;
    const joined = await api(inst.port, me.token, 'GET', '/joined_rooms');
    log(
      `  set-up: ${MEMBERS} users, ${rooms} rooms, ${joins.length} joins, ${sends.length} messages` +
        ` through the API in ${Math.round(setupMs)} ms (the account is in ${joined.joined_rooms.length} rooms)`,
    );

    // A restart, so the first sync finds no cache warmed by the set-up.
    await stop(hearth.child);
    hearth = await startHearth(inst);
    const cold = await timedSync(inst.port, me.token);
    const shape = describe(cold.body);
    log(
      `  cold sync after a restart: ${round(cold.ms, 1)} ms, ${shape.rooms} rooms,` +
        ` ${shape.stateEvents} state and ${shape.timelineEvents} timeline events, ${round(shape.bytes / 1024, 0)} KiB`,
    );
    const bodyFile = join(tmp, 'initialsync-body.json');
    writeFileSync(bodyFile, cold.body);
    bare = await startBaseline(['-e', JSON_SERVER], { env: { BENCH_FILE: bodyFile } });

    const servers = { hearth: inst.port, bare: bare.port };
    for (const name of ['hearth', 'bare']) await timedSync(servers[name], me.token);
    const times = { hearth: [], bare: [] };
    for (let i = 0; i < runs; i++) {
      for (const name of i % 2 === 0 ? ['hearth', 'bare'] : ['bare', 'hearth']) {
        times[name].push((await timedSync(servers[name], me.token)).ms);
      }
      log(
        `  run ${i + 1}/${runs}: Hearth ${round(times.hearth.at(-1), 1)} ms, bare ${round(times.bare.at(-1), 1)} ms`,
      );
    }
    const h = median(times.hearth);
    const b = median(times.bare);
    return {
      rooms,
      membersPerRoom: MEMBERS,
      messagesPerRoom: MESSAGES,
      setupMs: round(setupMs, 0),
      response: shape,
      coldMs: round(cold.ms, 1),
      hearth: { medianMs: round(h, 1), samples: times.hearth.map((x) => round(x, 1)) },
      bare: { medianMs: round(b, 1), samples: times.bare.map((x) => round(x, 1)) },
      ratio: round(h / b, 2),
    };
  } finally {
    if (bare) await stop(bare.child);
    await stop(hearth.child);
  }
}
