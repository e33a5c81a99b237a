// Issue 5 benchmarks of the key endpoints, against a real Hearth (hearth serve) and two bare
// baselines (e2ee-baseline-server.js: node:http + plain better-sqlite3 rows, one without and
// one with an fsync at each commit, the durability Hearth's writer gives) in the same run:
// - keysclaim: POST /keys/claim of one signed_curve25519 one-time key for each of 100 devices
//   across 20 users (5 each), all local, the keys uploaded beforehand through /keys/upload by
//   each device; median of N claims (each takes a fresh key of every device).
// - otkupload: POST /keys/upload of 100 signed one-time keys by a device that already has its
//   device keys and no one-time keys yet (a device of its own for each run); median of N.
// The runs rotate the order of the three servers. Requests go over one keep-alive connection
// per server (raw-client.js); the time is from the request's write to its whole answer.
// Every server gets the same request bodies, made and signed before the clock starts. The
// servers' CPU time over the timed runs (from /proc, 10 ms ticks) divided by the runs is
// reported beside: on a busy machine it moves much less than wall time.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile } from './cpuprofile.js';
import { deviceSigningKey, signedDeviceKeys, signedOneTimeKeys } from './e2ee-crypto.js';
import { inPool } from './matrix-setup.js';
import { stop } from './procs.js';
import { RawConnection, buildRequest } from './raw-client.js';
import {
  LIFTED_ROOM_LIMITS,
  makeInstance,
  registerUser,
  startBaseline,
  startHearth,
} from './servers.js';
import { HOST, cpuTimeMs, median, performance, requestJson, round } from './util.js';

export const BASELINE_SERVER = fileURLToPath(new URL('./e2ee-baseline-server.js', import.meta.url));
const PASSWORD = 'bench password';
const V3 = '/_matrix/client/v3';
/** Untimed requests to each server before the timed ones (connections, JIT, caches). */
const WARMUP = 2;
const NAMES = ['hearth', 'bare', 'durable'];

/**
 * A Hearth for the e2ee benchmarks and the baselines beside it, each on its own port:
 * { inst, ports: { hearth, bare, durable }, pids, stop(), profile() }. `durable: false`
 * starts only the plain baseline. `cpuProfDir`: Hearth runs under node --cpu-prof, and
 * profile() (after stop()) summarises its profile (set-up included).
 */
export async function startE2eeServers(template, tmp, name, { durable = true, cpuProfDir } = {}) {
  const inst = await makeInstance(template, join(tmp, name), {
    logLevel: 'warn',
    bcryptRounds: 4,
    config: LIFTED_ROOM_LIMITS,
  });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const hearth = await startHearth(inst, { nodeArgs });
  const profile = () => {
    if (!cpuProfDir) return undefined;
    const pid = hearth.child.pid;
    const file = readdirSync(cpuProfDir).find(
      (f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'),
    );
    if (!file) return { error: `no .cpuprofile for pid ${pid} in ${cpuProfDir}` };
    return { file: join(cpuProfDir, file), ...summariseProfile(join(cpuProfDir, file)) };
  };
  const children = [hearth.child];
  const stopAll = async () => {
    for (const c of [...children].reverse()) await stop(c);
  };
  try {
    const bare = await startBaseline([BASELINE_SERVER, join(tmp, `${name}-bare.db`)]);
    children.push(bare.child);
    const ports = { hearth: inst.port, bare: bare.port };
    const pids = { hearth: hearth.child.pid, bare: bare.child.pid };
    if (durable) {
      const d = await startBaseline([BASELINE_SERVER, join(tmp, `${name}-durable.db`)], {
        env: { BENCH_DURABLE: '1' },
      });
      children.push(d.child);
      ports.durable = d.port;
      pids.durable = d.child.pid;
    }
    return { inst, ports, pids, stop: stopAll, profile };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** POST /login with the password: a new device of the user; { userId, deviceId, token }. */
export async function loginDevice(port, username) {
  const r = await requestJson(port, `${V3}/login`, {
    method: 'POST',
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username },
      password: PASSWORD,
    },
    timeoutMs: 60_000,
  });
  return { userId: r.user_id, deviceId: r.device_id, token: r.access_token };
}

/**
 * `users` users of `devicesPerUser` devices each on the Hearth (registered, then logged in
 * for each device): [{ userId, deviceId, token, key }], key being the device's ed25519
 * signing key.
 */
export async function makeDevices(port, inst, prefix, users, devicesPerUser) {
  const names = Array.from({ length: users }, (_, i) => `${prefix}${i}`);
  await inPool(names, 4, (name) => registerUser(inst, name, PASSWORD));
  const logins = names.flatMap((name) => Array.from({ length: devicesPerUser }, () => name));
  const devices = await inPool(logins, 4, (name) => loginDevice(port, name));
  return devices.map((d) => ({ ...d, key: deviceSigningKey() }));
}

/** The token a device uses with a server: the baselines take "user|device" as all of auth. */
export function tokenFor(name, d) {
  return name === 'hearth' ? d.token : `${d.userId}|${d.deviceId}`;
}

/** POST /keys/upload of `body` for device `d` on every server (set-up, untimed). */
async function uploadEverywhere(ports, d, body) {
  for (const [name, port] of Object.entries(ports)) {
    await requestJson(port, `${V3}/keys/upload`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${tokenFor(name, d)}` },
      timeoutMs: 60_000,
    });
  }
}

/** Sends `req` on `conn` and returns its time in ms; throws on an error or a non-200. */
async function timed(conn, req, check) {
  const r = await conn.send(req);
  if (r.error || r.status !== 200) {
    throw new Error(`answered ${r.status ?? r.error}: ${String(r.body ?? '').slice(0, 300)}`);
  }
  check?.(JSON.parse(r.body));
  return r.t1 - r.t0;
}

/**
 * Runs WARMUP untimed then `runs` timed requests on each server, the order of the servers
 * rotating from run to run; request(name, i) builds run i's request (i counts the warm-up).
 * Resolves with { [name]: { medianMs, minMs, maxMs, cpuMsPerRequest, samples } }.
 */
async function interleaved(servers, runs, request, check, label, log) {
  const names = NAMES.filter((n) => servers.ports[n] !== undefined);
  const conns = Object.fromEntries(
    names.map((n) => [
      n,
      new RawConnection({ host: HOST, port: servers.ports[n], timeoutMs: 60_000, keepBody: true }),
    ]),
  );
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = {};
  try {
    for (let i = 0; i < WARMUP + runs; i++) {
      if (i === WARMUP) for (const n of names) cpu[n] = cpuTimeMs(servers.pids[n]);
      const order = names.map((_, k) => names[(i + k) % names.length]);
      for (const n of order) {
        const ms = await timed(conns[n], request(n, i), (body) => check(n, body));
        if (i >= WARMUP) times[n].push(ms);
      }
      if (i >= WARMUP) {
        log(
          `  ${label} ${i - WARMUP + 1}/${runs}: ` +
            names.map((n) => `${n} ${round(times[n].at(-1), 2)} ms`).join(', '),
        );
      }
    }
    for (const n of names) cpu[n] = cpuTimeMs(servers.pids[n]) - cpu[n];
  } finally {
    for (const c of Object.values(conns)) c.close();
  }
  return Object.fromEntries(
    names.map((n) => [
      n,
      {
        medianMs: round(median(times[n]), 2),
        minMs: round(Math.min(...times[n]), 2),
        maxMs: round(Math.max(...times[n]), 2),
        cpuMsPerRequest: round(cpu[n] / runs, 2),
        samples: times[n].map((x) => round(x, 2)),
      },
    ]),
  );
}

export async function benchKeysClaim({
  template,
  tmp,
  runs,
  users,
  devicesPerUser,
  cpuProfDir,
  log,
}) {
  const servers = await startE2eeServers(template, tmp, 'keysclaim', { cpuProfDir });
  const { inst, ports } = servers;
  try {
    const t0 = performance.now();
    const devices = await makeDevices(inst.port, inst, 'claimee', users, devicesPerUser);
    // The claiming device is of a user of its own, as a client about to message them all.
    const [claimer] = await makeDevices(inst.port, inst, 'asker', 1, 1);
    const perDevice = runs + WARMUP + 3;
    await inPool(devices, 8, (d) =>
      uploadEverywhere(ports, d, {
        device_keys: signedDeviceKeys(d.userId, d.deviceId, d.key),
        one_time_keys: signedOneTimeKeys(d.userId, d.deviceId, d.key, 'AAAA', perDevice),
      }),
    );
    log(
      `  set-up: ${users} users, ${devices.length} devices, ${perDevice} one-time keys each uploaded` +
        ` to every server in ${Math.round(performance.now() - t0)} ms`,
    );
    const wanted = {};
    for (const d of devices) (wanted[d.userId] ??= {})[d.deviceId] = 'signed_curve25519';
    const payload = JSON.stringify({ one_time_keys: wanted, timeout: 10_000 });
    const requests = Object.fromEntries(
      Object.entries(ports).map(([n, port]) => [
        n,
        buildRequest({
          host: HOST,
          port,
          method: 'POST',
          path: `${V3}/keys/claim`,
          payload,
          token: tokenFor(n, claimer),
        }),
      ]),
    );
    const short = { hearth: 0, bare: 0, durable: 0 };
    const check = (n, body) => {
      const got = Object.values(body.one_time_keys ?? {}).reduce(
        (k, byDevice) => k + Object.keys(byDevice).length,
        0,
      );
      if (got !== devices.length || Object.keys(body.failures ?? {}).length) short[n]++;
    };
    const r = await interleaved(servers, runs, (n) => requests[n], check, 'claim', log);
    await servers.stop();
    return {
      profile: servers.profile(),
      users,
      devices: devices.length,
      runs,
      ...r,
      ratio: round(r.hearth.medianMs / r.bare.medianMs, 2),
      answersMissingKeys: short,
    };
  } finally {
    await servers.stop();
  }
}

export async function benchOtkUpload({ template, tmp, runs, keys, cpuProfDir, log }) {
  const servers = await startE2eeServers(template, tmp, 'otkupload', { cpuProfDir });
  const { inst, ports } = servers;
  try {
    // A device of its own for each run, its device keys already uploaded: each timed upload
    // is a device's first batch of one-time keys, as after a login (a client keeps about 50
    // on the server, so a device's stock never grows into the thousands).
    const devices = await makeDevices(inst.port, inst, 'uploader', 1, WARMUP + runs);
    for (const d of devices) {
      await uploadEverywhere(ports, d, {
        device_keys: signedDeviceKeys(d.userId, d.deviceId, d.key),
      });
    }
    const bodies = devices.map((d) =>
      JSON.stringify({
        one_time_keys: signedOneTimeKeys(d.userId, d.deviceId, d.key, 'AAAA', keys),
      }),
    );
    log(
      `  set-up: ${devices.length} devices with their device keys on every server; a body of ${keys} signed keys` +
        ` for each (${Math.round(Buffer.byteLength(bodies[0]) / 1024)} KiB)`,
    );
    const request = (n, i) =>
      buildRequest({
        host: HOST,
        port: ports[n],
        method: 'POST',
        path: `${V3}/keys/upload`,
        payload: bodies[i],
        token: tokenFor(n, devices[i]),
      });
    // Each answer must count the device's keys: all of this upload.
    const wrong = { hearth: 0, bare: 0, durable: 0 };
    const check = (n, body) => {
      if (body.one_time_key_counts?.signed_curve25519 !== keys) wrong[n]++;
    };
    const r = await interleaved(servers, runs, request, check, 'upload', log);
    await servers.stop();
    return {
      profile: servers.profile(),
      keys,
      runs,
      bodyBytes: Buffer.byteLength(bodies[0]),
      ...r,
      ratio: round(r.hearth.medianMs / r.bare.medianMs, 2),
      answersWithWrongCount: wrong,
    };
  } finally {
    await servers.stop();
  }
}
