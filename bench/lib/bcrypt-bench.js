// Baseline for the login benchmark: raw bcrypt compare() calls per second at a given cost
// in one bare Node process, with the same number in flight as the login benchmark has
// concurrent logins (@node-rs/bcrypt runs them on libuv's thread pool, as Hearth does).
// `node bench/lib/bcrypt-bench.js '<json options>'`; prints one JSON line. Same window
// rule as loadgen.js: completions inside [warm-up end, warm-up end + duration].
import { compare, hash } from '@node-rs/bcrypt';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';

const o = {
  rounds: 12,
  concurrency: 4,
  warmupMs: 1000,
  durationMs: 5000,
  maxOps: 100_000,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const password = 'correct horse battery staple';
const stored = await hash(password, o.rounds);

const start = performance.now();
const windowStart = start + o.warmupMs;
const windowEnd = windowStart + o.durationMs;
const latencies = [];
let issued = 0;
let capped = false;
let lastCounted = windowStart;

// This process's CPU time (all threads, so the bcrypt pool too) over the window.
const cpu = {};
const sampleCpu = (key) => {
  const u = process.cpuUsage();
  cpu[key] = (u.user + u.system) / 1000;
};
setTimeout(() => sampleCpu('start'), Math.max(0, windowStart - performance.now()));
const endTimer = setTimeout(() => sampleCpu('end'), Math.max(0, windowEnd - performance.now()));

async function worker() {
  while (performance.now() < windowEnd) {
    if (issued >= o.maxOps) {
      capped = true;
      return;
    }
    issued++;
    const t0 = performance.now();
    const ok = await compare(password, stored);
    const t1 = performance.now();
    if (!ok) throw new Error('bcrypt compare failed on the right password');
    if (t1 >= windowStart && t1 <= windowEnd) {
      latencies.push(t1 - t0);
      if (t1 > lastCounted) lastCounted = t1;
    }
  }
}

await Promise.all(Array.from({ length: o.concurrency }, worker));
if (cpu.end === undefined) {
  clearTimeout(endTimer);
  sampleCpu('end');
}
latencies.sort((a, b) => a - b);
const windowMs = capped ? lastCounted - windowStart : o.durationMs;
process.stdout.write(
  `${JSON.stringify({
    ok: latencies.length,
    rps: windowMs > 0 ? latencies.length / (windowMs / 1000) : 0,
    windowMs,
    issued,
    capped,
    rounds: o.rounds,
    cpuMs: cpu.start !== undefined ? cpu.end - cpu.start : null,
    latencyMs: { median: latencies.length ? latencies[Math.ceil(latencies.length / 2) - 1] : null },
  })}\n`,
);
