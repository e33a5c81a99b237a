import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  FederationRecorder,
  recorderClient,
  roomSharedWith,
  sendMessages,
  type Answer,
  type RecordedTxn,
} from '../../helpers/federation-recorder.js';
import {
  startFederationSender,
  type FederationSender,
  type FederationSenderOptions,
} from '../../../server/federation/sender/sender.js';

/**
 * The outgoing queue as the receiving server sees it: a real Hearth queues its events for
 * `remote.test`, a real HTTP server on loopback plays remote.test and records each
 * PUT /send/{txnId}.
 */

const REMOTE = 'remote.test';
const FAST = { minMs: 50, multiplier: 2, maxMs: 1_000 };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** Log lines the sender wrote (parsed pino JSON). */
function captureLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

async function setup(opts: Partial<FederationSenderOptions> = {}, down = false) {
  const s: TestServer = await createTestServer();
  const recorder = await FederationRecorder.start();
  if (down) await recorder.down();
  const ports = new Map([[REMOTE, recorder.port]]);
  const room = await roomSharedWith(s, [`@bob:${REMOTE}`]);
  const sender: FederationSender = await startFederationSender(s.ctx, {
    client: recorderClient(ports),
    backoff: FAST,
    ...opts,
  });
  // start() contacted remote.test (it shares the room) with an empty transaction.
  recorder.received.length = 0;
  cleanup.push(async () => {
    await sender.stop();
    await recorder.close();
    await s.close();
  });
  return { s, recorder, room, sender };
}

const sendTxns = (r: FederationRecorder): RecordedTxn[] =>
  r.received.filter((t) => t.body.pdus.length > 0);

describe('federation sender: PDUs', () => {
  it('delivers 200 messages queued while the destination was down, in order, <= 50 per transaction', async () => {
    const { s, recorder, room } = await setup({}, true);
    await sendMessages(s, room, 200);
    expect(recorder.received).toHaveLength(0);
    await recorder.up();
    await recorder.waitFor((r) => r.pduBodies().length >= 200);
    const expected = Array.from({ length: 200 }, (_, i) => `m${i}`);
    expect(recorder.pduBodies()).toEqual(expected);
    const txns = sendTxns(recorder);
    expect(txns.length).toBeGreaterThanOrEqual(4);
    for (const t of txns) {
      expect(t.body.pdus.length).toBeLessThanOrEqual(50);
      expect(t.body.origin).toBe('test.local');
      expect(typeof t.body.origin_server_ts).toBe('number');
      // The PDU as signed by this server, not a client event.
      expect(t.body.pdus[0]).toMatchObject({ room_id: room.roomId, sender: room.userId });
      expect(t.body.pdus[0]!.signatures).toHaveProperty('test.local');
    }
    expect(new Set(txns.map((t) => t.txnId)).size).toBe(txns.length);
  });

  it('backs off exponentially, retrying the very same transaction, then delivers', async () => {
    const { s, recorder, room, sender } = await setup();
    let attempts = 0;
    recorder.respond = () =>
      ++attempts <= 4 ? { status: 500, body: {} } : { status: 200, body: { pdus: {} } };
    await sendMessages(s, room, 1, 'a');
    await recorder.waitFor((r) => r.received.length >= 5);
    const [first, ...retries] = recorder.received.slice(0, 5);
    for (const r of retries) {
      expect(r.txnId).toBe(first!.txnId);
      expect(r.body).toEqual(first!.body);
    }
    const at = recorder.received.slice(0, 5).map((t) => t.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // 50, 100, 200, 400 ms (timers never fire early; allow 5 ms of rounding).
    [50, 100, 200, 400].forEach((want, i) => expect(gaps[i]).toBeGreaterThanOrEqual(want - 5));
    await recorder.waitFor(() => sender.retryStateOf(REMOTE).retryIntervalMs === 0);
    await sendMessages(s, room, 2, 'b');
    await recorder.waitFor((r) => r.pduBodies().includes('b1'));
    expect(recorder.pduBodies()).toEqual(['a0', 'a0', 'a0', 'a0', 'a0', 'b0', 'b1']);
  });

  it('advances past a 200 that reports per-PDU errors, and logs them', async () => {
    const { log, lines } = captureLog();
    const { s, recorder, room } = await setup({ log });
    const answers: Answer[] = [
      { status: 200, body: { pdus: { '$refused:remote.test': { error: 'not allowed' } } } },
    ];
    recorder.respond = () => answers.shift() ?? { status: 200, body: { pdus: {} } };
    await sendMessages(s, room, 1, 'e');
    await recorder.waitFor((r) => r.received.length === 1);
    await sendMessages(s, room, 1, 'f');
    await recorder.waitFor((r) => r.pduBodies().includes('f0'));
    expect(recorder.pduBodies()).toEqual(['e0', 'f0']);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        destination: REMOTE,
        eventId: '$refused:remote.test',
        error: 'not allowed',
      }),
    );
  });

  it('drops a transaction refused with a 4xx that can never work, but retries a 404', async () => {
    const { s, recorder, room } = await setup();
    const answers: Answer[] = [
      { status: 400, body: { errcode: 'M_BAD_JSON', error: 'no' } },
      { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'not here yet' } },
    ];
    recorder.respond = () => answers.shift() ?? { status: 200, body: { pdus: {} } };
    await sendMessages(s, room, 1, 'x');
    await recorder.waitFor((r) => r.received.length === 1);
    await sendMessages(s, room, 1, 'y');
    await recorder.waitFor((r) => r.pduBodies().filter((b) => b === 'y0').length === 2);
    // x0 was refused for good (400) and never sent again; y0 got a 404, so it was resent,
    // under the same transaction id.
    expect(recorder.pduBodies()).toEqual(['x0', 'y0', 'y0']);
    expect(recorder.received[1]!.txnId).toBe(recorder.received[2]!.txnId);
    expect(recorder.received[0]!.txnId).not.toBe(recorder.received[1]!.txnId);
  });

  it('times out a hanging destination and retries the same transaction', async () => {
    const { s, recorder, room } = await setup({ requestTimeoutMs: 200 });
    let n = 0;
    recorder.respond = () => (n++ === 0 ? 'hang' : { status: 200, body: { pdus: {} } });
    await sendMessages(s, room, 1, 'h');
    await recorder.waitFor((r) => r.received.length === 2);
    expect(recorder.received[1]!.at - recorder.received[0]!.at).toBeGreaterThanOrEqual(
      200 + 50 - 5,
    );
    expect(recorder.received[1]!.txnId).toBe(recorder.received[0]!.txnId);
    expect(recorder.pduBodies()).toEqual(['h0', 'h0']);
  });

  it('sends nothing twice after a 200: a wake-up or a request from the destination sends only an empty transaction', async () => {
    const { s, recorder, room, sender } = await setup();
    await sendMessages(s, room, 3, 'd');
    await recorder.waitFor((r) => r.pduBodies().length === 3);
    await sender.wake();
    sender.destinationIsUp(REMOTE);
    await sender.wake();
    expect(recorder.pduBodies()).toEqual(['d0', 'd1', 'd2']);
    const empty = recorder.received.filter((t) => t.body.pdus.length === 0);
    expect(empty.length).toBeGreaterThanOrEqual(2);
    expect(empty.every((t) => t.body.edus === undefined)).toBe(true);
    const ids = recorder.received.map((t) => t.txnId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('does not send to servers that share no room, nor to itself', async () => {
    const { s, recorder, sender } = await setup();
    // A second room with only local users: its events go nowhere.
    const other = await roomSharedWith(s, [], 'carol');
    await sendMessages(s, other, 3, 'local');
    await sender.wake();
    expect(recorder.pduBodies()).toEqual([]);
  });
});
