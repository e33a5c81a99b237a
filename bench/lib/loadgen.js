// HTTP load generator, run as its own process so it never shares an event loop with the
// server under test: `node bench/lib/loadgen.js '<json options>'`. Keeps `connections`
// requests in flight over keep-alive connections, each worker sending its next request as
// soon as the previous one is answered. client "http": node:http with one http.Agent
// (keepAlive, maxSockets = connections); client "raw": raw-client.js, the same traffic at
// a fraction of the client CPU (see there). The client's own CPU time is reported too. Requests
// completing during the warm-up are not counted; the figure is the number of 2xx answers
// completed inside the measurement window divided by the window. Bounded by time
// (warmupMs + durationMs) and by count (maxRequests). With serverPid, it also reads the
// server's CPU time at the start and end of the window. Prints one JSON line.
//
// For the room benchmarks (raw client only): `targets` ([{ path, token }]) gives each
// connection its own request (connection i sends targets[i % targets.length]); with
// `uniqueSuffix` (a string) every request's path ends in `${uniqueSuffix}${i}.${n}`, a
// transaction id never sent before; with `idsFile`, the `event_id` of every 2xx answer
// (warm-up included) is written there, one a line, so the caller can check each answered
// event is in the database.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawConnection, buildRequest } from './raw-client.js';
import { cpuTimeMs } from './util.js';

const o = {
  host: '127.0.0.1',
  method: 'GET',
  client: 'http',
  connections: 32,
  warmupMs: 1000,
  durationMs: 5000,
  maxRequests: 1_000_000,
  timeoutMs: 30_000,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
const headers = payload
  ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
  : {};
const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { agent, host: o.host, port: o.port, path: o.path, method: o.method, headers },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve({ t0, t1: performance.now(), status: res.statusCode }));
        res.on('error', (err) =>
          resolve({ t0, t1: performance.now(), error: err.code ?? err.message }),
        );
      },
    );
    req.setTimeout(o.timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (err) =>
      resolve({ t0, t1: performance.now(), error: err.code ?? err.message }),
    );
    req.end(payload);
  });
}

if (o.targets && o.client !== 'raw') throw new Error('targets need the raw client');
const targets = o.targets ?? [{ path: o.path, token: o.token }];
const requestFor = (target, path = target.path) =>
  buildRequest({
    host: o.host,
    port: o.port,
    method: o.method,
    path,
    payload,
    token: target.token,
  });
const raw = Array.from({ length: o.client === 'raw' ? o.connections : 0 }, (_, i) => {
  const target = targets[i % targets.length];
  return new RawConnection({
    host: o.host,
    port: o.port,
    request: requestFor(target),
    timeoutMs: o.timeoutMs,
    keepBody: o.idsFile !== undefined,
  });
});
// The request connection i sends as its n-th: the prebuilt one, or one with a fresh suffix.
const nextRequest = (i, n) =>
  o.uniqueSuffix === undefined
    ? undefined
    : requestFor(
        targets[i % targets.length],
        `${targets[i % targets.length].path}${o.uniqueSuffix}${i}.${n}`,
      );
const ids = [];

const start = performance.now();
const windowStart = start + o.warmupMs;
const windowEnd = windowStart + o.durationMs;
const latencies = [];
const statuses = {};
const errors = {};
let issued = 0;
let errorCount = 0;
let lastCounted = windowStart;
let capped = false;

// The server's and this client's CPU time over the window, read by timers at its two ends.
const cpu = {};
function sampleCpu(key) {
  const own = process.cpuUsage();
  let server = null;
  try {
    if (o.serverPid) server = cpuTimeMs(o.serverPid);
  } catch {
    // the server is gone; the run will show errors
  }
  cpu[key] = { at: performance.now(), server, client: (own.user + own.system) / 1000 };
}
setTimeout(() => sampleCpu('start'), Math.max(0, windowStart - performance.now()));
const endTimer = setTimeout(() => sampleCpu('end'), Math.max(0, windowEnd - performance.now()));

async function worker(_, i) {
  for (let n = 0; performance.now() < windowEnd; n++) {
    if (issued >= o.maxRequests) {
      capped = true;
      return;
    }
    if (errorCount > 1000) return;
    issued++;
    const r = o.client === 'raw' ? await raw[i].send(nextRequest(i, n)) : await once();
    const inWindow = r.t1 >= windowStart && r.t1 <= windowEnd;
    if (r.error) {
      errorCount++;
      errors[r.error] = (errors[r.error] ?? 0) + 1;
      await sleep(10);
      continue;
    }
    if (r.body !== undefined && r.status >= 200 && r.status < 300) ids.push(eventId(r.body));
    if (inWindow) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (inWindow && r.status >= 200 && r.status < 300) {
      latencies.push(r.t1 - r.t0);
      if (r.t1 > lastCounted) lastCounted = r.t1;
    }
  }
}

/** The event id of a send's answer (parsed after t1 is taken: not part of the latency). */
function eventId(body) {
  try {
    return JSON.parse(body).event_id ?? '(none)';
  } catch {
    return '(unparsable)';
  }
}

await Promise.all(Array.from({ length: o.connections }, worker));
if (o.idsFile !== undefined) writeFileSync(o.idsFile, ids.join('\n'));
agent.destroy();
for (const c of raw) c.close();
if (!cpu.end) {
  // the count bound ended the run before the window did
  clearTimeout(endTimer);
  sampleCpu('end');
}

latencies.sort((a, b) => a - b);
const q = (p) =>
  latencies.length
    ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]
    : null;
// When the count bound ended the run early, the window ends at the last counted answer.
const windowMs = capped ? lastCounted - windowStart : o.durationMs;
process.stdout.write(
  `${JSON.stringify({
    ok: latencies.length,
    rps: windowMs > 0 ? latencies.length / (windowMs / 1000) : 0,
    windowMs,
    issued,
    capped,
    statuses,
    errors,
    errorCount,
    answered: o.idsFile === undefined ? undefined : ids.length,
    client: o.client,
    cpuWindowMs: cpu.start && cpu.end ? cpu.end.at - cpu.start.at : null,
    clientCpuMs: cpu.start && cpu.end ? cpu.end.client - cpu.start.client : null,
    serverCpuMs:
      cpu.start?.server != null && cpu.end?.server != null
        ? cpu.end.server - cpu.start.server
        : null,
    latencyMs: { median: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.at(-1) ?? null },
  })}\n`,
);
