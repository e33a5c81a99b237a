// What the long-poll client processes share (wakeup-client.js, e2ee-todevice-client.js):
// many pollers on one keep-alive connection each (raw-client.js), their first sync tokens,
// and the next_batch of an answer.
import { performance } from 'node:perf_hooks';
import { RawConnection, buildRequest } from './raw-client.js';

const HOST = '127.0.0.1';

/**
 * One connection per poller and one for the trigger, and `request(method, path, token,
 * payload)` building a request to `port` (payload: a string, or undefined).
 */
export function longPollConnections({ port, pollers, timeoutMs }) {
  const request = (method, path, token, payload) =>
    buildRequest({ host: HOST, port, method, path, token, payload });
  const connect = () => new RawConnection({ host: HOST, port, timeoutMs, keepBody: true });
  return { request, conns: pollers.map(connect), triggerConn: connect() };
}

/** next_batch of a sync answer (or of a baseline's answer, which has the same shape). */
export function nextBatch(body) {
  try {
    return JSON.parse(body).next_batch;
  } catch {
    return undefined;
  }
}

/**
 * Each poller's first token: its own `since`, or the next_batch of initialPath, asked a few
 * at a time (all at once, they would only queue in the server). Resolves with the tokens
 * and the time it took.
 */
export async function firstTokens({ pollers, conns, request, initialPath }) {
  const since = pollers.map((p) => p.since);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pollers.length; i = next++) {
      if (since[i] !== undefined) continue;
      const r = await conns[i].send(request('GET', initialPath, pollers[i].token));
      since[i] = r.status === 200 ? nextBatch(r.body) : undefined;
      if (since[i] === undefined) throw new Error(`initial sync: ${r.status} ${r.error ?? r.body}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { since, initialMs: performance.now() - started };
}
