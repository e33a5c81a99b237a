import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  FederationRecorder,
  recorderClient,
  roomSharedWith,
  sendMessages,
} from '../../helpers/federation-recorder.js';
import { startFederationSender } from '../../../server/federation/sender/sender.js';
import { queueEventForFederation } from '../../../server/federation/sender/destinations.js';

/**
 * The queue, the transaction in flight and the backoff live in the database: a Hearth
 * that stops (or crashes) and starts again on the same data folder sends what it owed.
 */

const REMOTE = 'remote.test';
const FAST = { minMs: 50, multiplier: 2, maxMs: 1_000 };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-sender-'));
  const recorder = await FederationRecorder.start();
  const ports = new Map([[REMOTE, recorder.port]]);
  const client = recorderClient(ports);
  const open: TestServer[] = [];
  cleanup.push(async () => {
    for (const s of open) await s.close().catch(() => undefined);
    await recorder.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Opens the data folder as a (re)started Hearth would, with the federation hook listed. */
  const boot = async () => {
    const s = await createTestServer({}, { dir });
    s.ctx.eventHooks = [...s.ctx.eventHooks, queueEventForFederation];
    open.push(s);
    return s;
  };
  const shutdown = async (s: TestServer) => {
    open.splice(open.indexOf(s), 1);
    await s.close();
  };
  return { recorder, client, boot, shutdown };
}

describe('federation sender across restarts', () => {
  it('resends the transaction that was in flight, same id, then everything queued, in order', async () => {
    const { recorder, client, boot, shutdown } = await fixture();
    const s1 = await boot();
    const room = await roomSharedWith(s1, [`@bob:${REMOTE}`]);
    recorder.respond = (t) => (t.body.pdus.length ? 'hang' : { status: 200, body: { pdus: {} } });
    const sender1 = await startFederationSender(s1.ctx, { client, backoff: FAST });
    await sendMessages(s1, room, 120);
    await recorder.waitFor((r) => r.pduBodies().length === 1);
    const inFlight = recorder.received.find((t) => t.body.pdus.length)!;
    // The request hangs: stop abandons it at once, and the server closes.
    const t0 = Date.now();
    await sender1.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    await shutdown(s1);

    recorder.respond = () => ({ status: 200, body: { pdus: {} } });
    const s2 = await boot();
    await sendMessages(s2, room, 3, 'after');
    const sender2 = await startFederationSender(s2.ctx, { client, backoff: FAST });
    await recorder.waitFor((r) => r.pduBodies().length === 1 + 123);
    const withPdus = recorder.received.filter((t) => t.body.pdus.length);
    expect(withPdus[1]!.txnId).toBe(inFlight.txnId);
    expect(withPdus[1]!.body).toEqual(inFlight.body);
    expect(recorder.pduBodies()).toEqual([
      'm0',
      ...Array.from({ length: 120 }, (_, i) => `m${i}`),
      ...['after0', 'after1', 'after2'],
    ]);
    await sender2.stop();
    await shutdown(s2);

    // Delivered is delivered: a third start sends no PDU again.
    const before = recorder.pduBodies().length;
    const s3 = await boot();
    const sender3 = await startFederationSender(s3.ctx, { client, backoff: FAST });
    await sender3.stop();
    expect(recorder.pduBodies()).toHaveLength(before);
    expect(recorder.received.at(-1)!.body.pdus).toEqual([]);
  });

  it('keeps the backoff across a restart: the wake-up attempt does not reset it', async () => {
    const { recorder, client, boot, shutdown } = await fixture();
    const s1 = await boot();
    const room = await roomSharedWith(s1, [`@bob:${REMOTE}`]);
    await recorder.down();
    const sender1 = await startFederationSender(s1.ctx, { client, backoff: FAST });
    await sendMessages(s1, room, 1);
    await recorder.waitFor(() => sender1.retryStateOf(REMOTE).retryIntervalMs >= 400, 5_000);
    await sender1.stop();
    const interval = sender1.retryStateOf(REMOTE).retryIntervalMs;
    await shutdown(s1);

    const s2 = await boot();
    const started = Date.now();
    const sender2 = await startFederationSender(s2.ctx, { client, backoff: FAST });
    // The forced attempt at start failed; the stored interval stands (not back to 50 ms).
    expect(sender2.retryStateOf(REMOTE).retryIntervalMs).toBe(interval);
    await recorder.up();
    await recorder.waitFor((r) => r.pduBodies().includes('m0'));
    expect(recorder.received[0]!.at - started).toBeGreaterThanOrEqual(interval - 5);
    await recorder.waitFor(() => sender2.retryStateOf(REMOTE).retryIntervalMs === 0);
    await sender2.stop();
  });
});
