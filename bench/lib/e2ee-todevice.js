// Issue 5 benchmark todevice: to-device fan-out. U users with D devices each (500 devices by
// default: 100 x 5) each hold a /sync long-poll (timeout 30 s, a filter with no rooms); one
// PUT /sendToDevice from another user carries a message for every device, each with its
// own ~400-byte Olm-shaped content (as a room key sent to every device of a room's members
// is); the figure is the time from the send's start until the last of the devices has its
// message through /sync (p50 and p99 beside it), median over rounds. Baseline in the same run:
// e2ee-baseline-server.js (bare node:http holding as many long-polls, writing one SQLite row
// per device in one transaction and answering each poll with its message), driven by the same
// client process (e2ee-todevice-client.js). Blocks in ABBA order, each with a warm-up round.
import { fileURLToPath } from 'node:url';
import { makeDevices, startE2eeServers, tokenFor } from './e2ee-keys.js';
import { runJsonChild } from './procs.js';
import { median, performance, round, roundTimes } from './util.js';

const CLIENT = fileURLToPath(new URL('./e2ee-todevice-client.js', import.meta.url));
const POLL_TIMEOUT_MS = 30_000;
const NO_ROOMS = encodeURIComponent(JSON.stringify({ room: { rooms: [] } }));
const V3 = '/_matrix/client/v3';

export async function benchToDevice({
  template,
  tmp,
  users,
  devicesPerUser,
  rounds,
  cpuProfDir,
  log,
}) {
  const servers = await startE2eeServers(template, tmp, 'todevice', {
    durable: false,
    cpuProfDir,
  });
  const { inst, ports } = servers;
  try {
    const t0 = performance.now();
    const devices = await makeDevices(inst.port, inst, 'inbox', users, devicesPerUser);
    const [sender] = await makeDevices(inst.port, inst, 'fanout', 1, 1);
    log(
      `  set-up: ${users} users with ${devicesPerUser} devices each (${devices.length} devices) and a sender,` +
        ` through /register and /login, in ${Math.round(performance.now() - t0)} ms`,
    );
    const perBlock = Math.ceil(rounds / 2);
    const target = (d) => ({ userId: d.userId, deviceId: d.deviceId });
    const options = {
      hearth: {
        port: inst.port,
        pollers: devices.map((d) => ({ ...target(d), token: d.token })),
        initialPath: `${V3}/sync?timeout=0&filter=${NO_ROOMS}`,
        pollPrefix: `${V3}/sync?timeout=${POLL_TIMEOUT_MS}&filter=${NO_ROOMS}&since=`,
        trigger: { pathPrefix: `${V3}/sendToDevice/m.room.encrypted/`, token: sender.token },
      },
      bare: {
        port: ports.bare,
        pollers: devices.map((d) => ({ ...target(d), token: tokenFor('bare', d), since: '0' })),
        pollPrefix: `${V3}/sync?timeout=${POLL_TIMEOUT_MS}&since=`,
        trigger: {
          pathPrefix: `${V3}/sendToDevice/m.room.encrypted/`,
          token: tokenFor('bare', sender),
        },
      },
    };
    const runs = { hearth: [], bare: [] };
    let payloadBytes;
    for (const [block, name] of ['hearth', 'bare', 'bare', 'hearth'].entries()) {
      const o = options[name];
      const res = await runJsonChild(
        [
          CLIENT,
          JSON.stringify({
            ...o,
            trigger: { ...o.trigger, txnPrefix: `fanout.${block}.` },
            rounds: perBlock + 1,
            settleMs: 1000,
            timeoutMs: POLL_TIMEOUT_MS + 30_000,
          }),
        ],
        { timeoutMs: (perBlock + 1) * (POLL_TIMEOUT_MS + 1000) * 2 + 120_000 },
      );
      payloadBytes = res.payloadBytes;
      if (o.initialPath) {
        log(`  ${name}: ${devices.length} first /sync in ${Math.round(res.initialMs)} ms`);
      }
      for (const r of res.rounds) {
        runs[name].push(r);
        log(
          `  ${name.padEnd(6)} round: ${r.answered} delivered, last ${round(r.max, 1)} ms, p50 ${round(r.p50, 1)} ms,` +
            ` p99 ${round(r.p99, 1)} ms (send answered in ${round(r.triggerMs, 1)} ms, status ${r.triggerStatus};` +
            ` other answers ${r.early}, without the message ${r.missing}, errors ${r.errors})`,
        );
      }
    }
    const summary = (xs) => ({
      medianLastMs: round(median(xs.map((x) => x.max)), 2),
      medianP50Ms: round(median(xs.map((x) => x.p50)), 2),
      medianP99Ms: round(median(xs.map((x) => x.p99)), 2),
      worstLastMs: round(Math.max(...xs.map((x) => x.max)), 2),
      medianSendMs: round(median(xs.map((x) => x.triggerMs)), 2),
      delivered: xs.reduce((n, x) => n + x.answered - x.missing, 0),
      expected: xs.length * devices.length,
      errors: xs.reduce((n, x) => n + x.errors, 0),
      rounds: xs.map(roundTimes),
    });
    const h = summary(runs.hearth);
    const b = summary(runs.bare);
    await servers.stop();
    return {
      profile: servers.profile(),
      users,
      devices: devices.length,
      payloadBytes,
      hearth: h,
      bare: b,
      ratio: round(h.medianLastMs / b.medianLastMs, 2),
    };
  } finally {
    await servers.stop();
  }
}
