// The to-device fan-out benchmark's clients, run as their own process: `node
// bench/lib/e2ee-todevice-client.js '<json options>'`. N devices each hold a /sync long-poll
// on its own keep-alive connection (raw-client.js); then one PUT /sendToDevice carries a
// message for every one of them (each its own content, as an Olm-encrypted room key is),
// and the figures are the times from just before that request is written to each device's
// /sync answer holding its message: p50, p99 and max (the last of the N to have it). Each
// round re-polls with the previous answer's next_batch (acknowledging what it got), as a
// client does. Round 0 is a warm-up and is not reported. Every loop is bounded (rounds, and
// each request by timeoutMs). Prints one JSON line.
//
// Options: port, pollers ([{ token, userId, deviceId, since? }]: a poller without `since`
// first asks initialPath for one), pollPrefix (the poll's path up to its since value),
// initialPath, trigger ({ pathPrefix, token, txnPrefix }: PUT pathPrefix + txnPrefix + round),
// contentBytes (the size of each device's ciphertext), rounds, settleMs (how long after
// writing the polls the send waits, so the server has parked them all), timeoutMs.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstTokens, longPollConnections, nextBatch } from './long-poll-clients.js';

const o = {
  rounds: 4,
  settleMs: 1000,
  timeoutMs: 60_000,
  contentBytes: 400,
  ...JSON.parse(process.argv[2]),
};
const { request, conns, triggerConn } = longPollConnections(o);
const { since, initialMs } = await firstTokens({ ...o, conns, request });

/** The body of one send: every poller's device gets its own m.room.encrypted-shaped content. */
function sendBody(marker) {
  const messages = {};
  o.pollers.forEach((p, i) => {
    (messages[p.userId] ??= {})[p.deviceId] = {
      algorithm: 'm.olm.v1.curve25519-aes-sha2',
      sender_key: 'SenderCurveKeyOfTheSendingDeviceXXXXXXXXXXX',
      ciphertext: {
        [`Curve${i}`]: {
          type: 0,
          body: `${marker}:${i}:${randomBytes(Math.ceil((o.contentBytes * 3) / 4)).toString('base64')}`,
        },
      },
    };
  });
  return JSON.stringify({ messages });
}

const MAX_EARLY = 5;
const rounds = [];
for (let round = 0; round < o.rounds; round++) {
  const marker = `fanout${round}.${Date.now()}`;
  const payload = sendBody(marker);
  let early = 0;
  let triggerStarted = Infinity;
  // A poll answered without the device's message (something else was new to it, before or
  // after the send) is sent again with its new since, as a client would; the time counted is
  // that of the answer that brings the message.
  const poll = async (i) => {
    for (let k = 0; k <= MAX_EARLY; k++) {
      const path = `${o.pollPrefix}${encodeURIComponent(since[i])}`;
      const r = await conns[i].send(request('GET', path, o.pollers[i].token));
      const next = r.status === 200 ? nextBatch(r.body) : undefined;
      if (next !== undefined) since[i] = next;
      if (r.error || r.status !== 200 || r.body.includes(`${marker}:${i}:`)) return r;
      early++;
    }
    return { error: `answered without its message ${MAX_EARLY + 1} times` };
  };
  const polls = o.pollers.map((_, i) => poll(i));
  await sleep(o.settleMs);
  triggerStarted = performance.now();
  const trigger = await triggerConn.send(
    request(
      'PUT',
      `${o.trigger.pathPrefix}${o.trigger.txnPrefix}${round}`,
      o.trigger.token,
      payload,
    ),
  );
  const answers = await Promise.all(polls);
  const latencies = [];
  let errors = 0;
  let missing = 0;
  answers.forEach((r, i) => {
    if (r.error || r.status !== 200) {
      errors++;
      return;
    }
    latencies.push(r.t1 - triggerStarted);
    if (!r.body.includes(`${marker}:${i}:`)) missing++;
  });
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
    payloadBytes: Buffer.byteLength(sendBody('x')),
    initialMs,
    rounds: rounds.slice(1),
  })}\n`,
);
