// Benchmark 7: waking long-polls. N users joined to one room each hold GET /sync (since =
// their latest next_batch, timeout 30 s); one message is sent; the figure is the time from
// the send's start to each /sync answer (p50, p99, max), over several rounds. Baseline in
// the same run: longpoll-server.js, bare node:http holding the same number of long-polls and
// answering them all on one trigger, driven by the same client process (wakeup-client.js).
// Each block starts with WARMUP_ROUNDS rounds that are logged but not counted.
// Blocks in ABBA order (Hearth, bare, bare, Hearth), each with a warm-up round of its own.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPublicRoom,
  inPool,
  joinRoom,
  registerUsers,
  sendPathPrefix,
} from './matrix-setup.js';
import { runJsonChild, stop } from './procs.js';
import { LIFTED_ROOM_LIMITS, makeInstance, startBaseline, startHearth } from './servers.js';
import { median, performance, round, roundTimes } from './util.js';

const CLIENT = fileURLToPath(new URL('./wakeup-client.js', import.meta.url));
const LONGPOLL_SERVER = fileURLToPath(new URL('./longpoll-server.js', import.meta.url));
const POLL_TIMEOUT_MS = 30_000;
/**
 * Rounds at the start of each block that are logged but not counted. Each block has a
 * fresh client process, and the first rounds of a block measure its warm-up as much as the
 * server: the bare baseline's first two rounds after a single warm-up round took 1.6 to 2
 * times its later ones (24-25 ms against 11-14), and Hearth's 1.5 to 2.5 times (60-105 ms
 * against 33-47). Three warm-up rounds leave the counted rounds at the level of the rest.
 */
export const WARMUP_ROUNDS = 3;
/** An inline filter with no rooms: the cheapest way to a first next_batch. */
const NO_ROOMS = encodeURIComponent(JSON.stringify({ room: { rooms: [] } }));

export async function benchWakeup({ template, tmp, clients, rounds, settleMs, cpuProfDir, log }) {
  const inst = await makeInstance(template, join(tmp, 'wakeup'), {
    logLevel: 'warn',
    bcryptRounds: 4,
    config: LIFTED_ROOM_LIMITS,
  });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const hearth = await startHearth(inst, { nodeArgs });
  let bare;
  try {
    bare = await startBaseline([LONGPOLL_SERVER]);
    const t0 = performance.now();
    const [sender, ...pollers] = await registerUsers(inst, 'poller', clients + 1);
    const roomId = await createPublicRoom(inst.port, sender, 'wakeup');
    await inPool(pollers, 4, (u) => joinRoom(inst.port, u, roomId));
    const setupMs = performance.now() - t0;
    log(
      `  set-up: ${clients + 1} users joined to one room through the API in ${Math.round(setupMs)} ms`,
    );

    const perBlock = Math.ceil(rounds / 2);
    const options = {
      hearth: {
        port: inst.port,
        pollers: pollers.map((u) => ({ token: u.token })),
        initialPath: `/_matrix/client/v3/sync?timeout=0&filter=${NO_ROOMS}`,
        pollPrefix: `/_matrix/client/v3/sync?timeout=${POLL_TIMEOUT_MS}&since=`,
        trigger: { pathPrefix: sendPathPrefix(roomId), token: sender.token },
      },
      bare: {
        port: bare.port,
        pollers: pollers.map(() => ({ since: '0' })),
        pollPrefix: `/poll?timeout=${POLL_TIMEOUT_MS}&since=`,
        trigger: { pathPrefix: '/trigger/' },
      },
    };
    const runs = { hearth: [], bare: [] };
    const warmups = { hearth: [], bare: [] };
    const blocks = ['hearth', 'bare', 'bare', 'hearth'];
    for (const [block, name] of blocks.entries()) {
      const o = options[name];
      const res = await runJsonChild(
        [
          CLIENT,
          JSON.stringify({
            ...o,
            // A transaction id never used before: a repeated one would be a retry, not a send.
            trigger: { ...o.trigger, txnPrefix: `wake.${block}.` },
            rounds: perBlock + WARMUP_ROUNDS,
            warmupRounds: WARMUP_ROUNDS,
            settleMs,
            timeoutMs: POLL_TIMEOUT_MS + 30_000,
          }),
        ],
        { timeoutMs: (perBlock + WARMUP_ROUNDS) * (POLL_TIMEOUT_MS + settleMs) + 120_000 },
      );
      if (o.initialPath) {
        log(`  ${name}: ${clients} first /sync (no rooms) in ${Math.round(res.initialMs)} ms`);
      }
      const logRound = (r, label) =>
        log(
          `  ${name.padEnd(6)} ${label}: ${r.answered} woken, p50 ${round(r.p50, 1)} ms, p99 ${round(r.p99, 1)} ms,` +
            ` max ${round(r.max, 1)} ms (send answered in ${round(r.triggerMs, 1)} ms;` +
            ` early ${r.early}, without the message ${r.missing}, errors ${r.errors})`,
        );
      for (const r of res.warmup) {
        warmups[name].push(r);
        logRound(r, 'warm-up round (not counted)');
      }
      for (const r of res.rounds) {
        runs[name].push(r);
        logRound(r, 'round');
      }
    }
    // The figures are of the counted rounds; a missing message or an error counts wherever
    // it happened, warm-up rounds included.
    const summary = (xs, warm) => ({
      medianP50Ms: round(median(xs.map((x) => x.p50)), 2),
      medianP99Ms: round(median(xs.map((x) => x.p99)), 2),
      medianMaxMs: round(median(xs.map((x) => x.max)), 2),
      worstMaxMs: round(Math.max(...xs.map((x) => x.max)), 2),
      medianTriggerMs: round(median(xs.map((x) => x.triggerMs)), 2),
      early: xs.reduce((n, x) => n + x.early, 0),
      missing: [...xs, ...warm].reduce((n, x) => n + x.missing, 0),
      errors: [...xs, ...warm].reduce((n, x) => n + x.errors, 0),
      rounds: xs.map(roundTimes),
      warmupRounds: warm.map(roundTimes),
    });
    const h = summary(runs.hearth, warmups.hearth);
    const b = summary(runs.bare, warmups.bare);
    return {
      clients,
      settleMs,
      setupMs: round(setupMs, 0),
      warmupRoundsPerBlock: WARMUP_ROUNDS,
      hearth: h,
      bare: b,
      p99Ratio: round(h.medianP99Ms / b.medianP99Ms, 2),
    };
  } finally {
    if (bare) await stop(bare.child);
    await stop(hearth.child);
  }
}
