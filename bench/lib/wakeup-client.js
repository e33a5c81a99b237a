// The wakeup benchmark's clients, run as their own process: `node bench/lib/wakeup-client.js
// '<json options>'`. N long-polls, one keep-alive connection each (raw-client.js), all held
// by the server; then one trigger request (a message send), and the time from just before
// the trigger is written to each long-poll's complete answer. Each round re-polls with the
// `next_batch` of the previous answer, as a client does. The first `warmupRounds` rounds
// (connections opened, code JIT-compiled on both sides) are reported apart, as `warmup`,
// and not counted. Every loop is bounded: the rounds, and each request by timeoutMs. Prints
// one JSON line.
//
// Options: port, pollers ([{ token, since? }]: a poller without `since` first asks
// initialPath for one), pollPrefix (the poll's path up to its since value), initialPath,
// trigger ({ pathPrefix, token, txnPrefix }: a PUT whose path ends in txnPrefix and the
// round, a transaction id the caller keeps unique across runs), rounds (warm-up included),
// warmupRounds (default 1),
// settleMs (how long after writing the polls the trigger waits, so the server has parked
// them all), timeoutMs.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstTokens, longPollConnections, nextBatch } from './long-poll-clients.js';

const o = {
  rounds: 6,
  warmupRounds: 1,
  settleMs: 500,
  timeoutMs: 60_000,
  ...JSON.parse(process.argv[2]),
};
const { request: rawRequest, conns, triggerConn } = longPollConnections(o);
const request = (method, path, token, body) =>
  rawRequest(method, path, token, body === undefined ? undefined : JSON.stringify(body));
const { since, initialMs } = await firstTokens({ ...o, conns, request });

/** The most times one poll is re-sent in a round because it was answered before the trigger. */
const MAX_EARLY = 5;

const rounds = [];
for (let round = 0; round < o.rounds; round++) {
  const marker = `wakeup round ${round} ${Date.now()}`;
  let early = 0;
  let triggerStarted = Infinity;
  // A poll answered before the trigger (something older than the trigger was still new to
  // it) is sent again with its new since, as a client would.
  const poll = async (i) => {
    for (let k = 0; k <= MAX_EARLY; k++) {
      const path = `${o.pollPrefix}${encodeURIComponent(since[i])}`;
      const r = await conns[i].send(request('GET', path, o.pollers[i].token));
      const next = r.status === 200 ? nextBatch(r.body) : undefined;
      if (next !== undefined) since[i] = next;
      if (r.error || r.status !== 200 || r.t1 >= triggerStarted) return r;
      early++;
    }
    return { error: `answered before the trigger ${MAX_EARLY + 1} times` };
  };
  const polls = o.pollers.map((_, i) => poll(i));
  await sleep(o.settleMs);
  triggerStarted = performance.now();
  const trigger = await triggerConn.send(
    request('PUT', `${o.trigger.pathPrefix}${o.trigger.txnPrefix}${round}`, o.trigger.token, {
      msgtype: 'm.text',
      body: marker,
    }),
  );
  const answers = await Promise.all(polls);
  const latencies = [];
  let errors = 0;
  let missing = 0;
  for (const r of answers) {
    if (r.error || r.status !== 200) {
      errors++;
      continue;
    }
    latencies.push(r.t1 - triggerStarted);
    if (!r.body.includes(marker)) missing++;
  }
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)];
  rounds.push({
    round,
    answered: latencies.length,
    errors,
    early,
    missing,
    triggerStatus: trigger.status ?? trigger.error,
    triggerMs: trigger.t1 - trigger.t0,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1),
    min: latencies[0],
  });
}
for (const c of [...conns, triggerConn]) c.close();
process.stdout.write(
  `${JSON.stringify({
    clients: o.pollers.length,
    initialMs,
    warmup: rounds.slice(0, o.warmupRounds),
    rounds: rounds.slice(o.warmupRounds),
  })}\n`,
);
