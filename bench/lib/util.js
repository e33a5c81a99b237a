// Small helpers shared by the benchmarks: statistics, HTTP on loopback, free ports, /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export { performance, sleep };

export const HOST = '127.0.0.1';

/** Median of a list of numbers (the mean of the two middle values for an even count). */
export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values, q) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))];
}

/** Round r's order: A B in even rounds, B A in odd ones (ABBA), so drift hits both alike. */
export function abba(r, a, b) {
  return r % 2 === 0 ? [a, b] : [b, a];
}

/** Work per CPU-second over a round's window, or NaN without a CPU reading. */
export function perCpuSecond(count, cpuMs) {
  return cpuMs > 0 ? count / (cpuMs / 1000) : NaN;
}

export function round(x, digits = 1) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A long-poll round's record with its times rounded to 0.01 ms (wakeup, todevice). */
export function roundTimes(r) {
  return {
    ...r,
    p50: round(r.p50, 2),
    p99: round(r.p99, 2),
    max: round(r.max, 2),
    min: round(r.min, 2),
    triggerMs: round(r.triggerMs, 2),
  };
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One HTTP request on a fresh connection (no keep-alive). Resolves with
 * { status, body } or rejects on a network error or after timeoutMs.
 */
export function request(port, path, { method = 'GET', body, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: HOST,
        port,
        path,
        method,
        agent: false,
        headers: payload
          ? {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
              ...headers,
            }
          : headers,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`request timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** request() that parses a JSON answer and throws on a non-2xx status. */
export async function requestJson(port, path, opts) {
  const res = await request(port, path, opts);
  let json;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  if (res.status < 200 || res.status >= 300) {
    throw new Error(
      `${opts?.method ?? 'GET'} ${path} answered ${res.status}: ${res.body.slice(0, 300)}`,
    );
  }
  return json;
}

/** Resident set size of a process in bytes, from /proc/PID/status (VmRSS and VmHWM). */
export function readRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export const MiB = 1024 * 1024;

/** The 1-minute load average, or NaN where there is no /proc/loadavg. */
export function loadAverage() {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

let clockTicks;

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on practically all Linux). */
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, from
 * /proc/PID/stat (10 ms resolution). Unlike wall time this barely moves when other
 * processes compete for the CPUs, which makes it the steadier figure on a busy machine.
 */
export function cpuTimeMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}
