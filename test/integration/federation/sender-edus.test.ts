import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import {
  FederationRecorder,
  recorderClient,
  roomSharedWith,
  sendMessages,
} from '../../helpers/federation-recorder.js';
import {
  startFederationSender,
  type FederationSenderOptions,
} from '../../../server/federation/sender/sender.js';
import { sendEdu } from '../../../server/federation/sender/queue.js';
import {
  presenceEdu,
  receiptEdu,
  toDeviceEdu,
  typingEdu,
} from '../../../server/federation/sender/edus.js';

/**
 * EDUs on the outgoing queue, as the receiving server sees them: at most 100 a
 * transaction, to-device messages all delivered in order, typing/presence/receipts
 * superseded by newer ones while they wait.
 */

const REMOTE = 'remote.test';
const FAST = { minMs: 50, multiplier: 2, maxMs: 1_000 };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(config: Record<string, unknown> = {}) {
  const s: TestServer = await createTestServer(config);
  const recorder = await FederationRecorder.start();
  const client = recorderClient(new Map([[REMOTE, recorder.port]]));
  const room = await roomSharedWith(s, [`@bob:${REMOTE}`]);
  const stops: (() => Promise<void>)[] = [];
  cleanup.push(async () => {
    for (const stop of stops) await stop();
    await recorder.close();
    await s.close();
  });
  /** Starts the sender (which contacts REMOTE at once and sends what waits). */
  const start = async (opts: Partial<FederationSenderOptions> = {}) => {
    const sender = await startFederationSender(s.ctx, { client, backoff: FAST, ...opts });
    stops.push(() => sender.stop());
    return sender;
  };
  return { s, recorder, room, start };
}

describe('federation sender: EDUs', () => {
  it('sends at most 100 EDUs a transaction and every to-device message, in order', async () => {
    const { s, recorder, start } = await setup();
    await recorder.down();
    const sender = await start();
    for (let i = 0; i < 250; i++) {
      const edu = toDeviceEdu({
        sender: '@alice:test.local',
        type: 'm.room_key_request',
        messageId: `td${i}`,
        messages: { [`@bob:${REMOTE}`]: { BOBDEVICE: { n: i } } },
      });
      await sendEdu(s.ctx, edu, [REMOTE]);
    }
    await recorder.up();
    await sender.wake();
    await recorder.waitFor((r) => r.edus().length >= 250);
    const ids = recorder.edus().map((e) => e.content.message_id);
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => `td${i}`));
    for (const t of recorder.received) expect(t.body.edus?.length ?? 0).toBeLessThanOrEqual(100);
    expect(recorder.received.filter((t) => t.body.edus?.length).length).toBeGreaterThanOrEqual(3);
  });

  it('sends only the latest typing state of each user and room', async () => {
    const { s, recorder, room, start } = await setup();
    for (const typing of [true, false, true, true, false]) {
      await sendEdu(s.ctx, typingEdu({ roomId: room.roomId, userId: room.userId, typing }), [
        REMOTE,
      ]);
    }
    await sendEdu(
      s.ctx,
      typingEdu({ roomId: room.roomId, userId: '@carol:test.local', typing: true }),
      [REMOTE],
    );
    await start();
    await recorder.waitFor((r) => r.edus().length >= 2);
    expect(recorder.edus()).toEqual([
      {
        edu_type: 'm.typing',
        content: { room_id: room.roomId, user_id: room.userId, typing: false },
      },
      {
        edu_type: 'm.typing',
        content: { room_id: room.roomId, user_id: '@carol:test.local', typing: true },
      },
    ]);
  });

  it('resends a failed transaction unchanged: a newer typing state waits for the next one', async () => {
    const { s, recorder, room, start } = await setup();
    await start();
    recorder.received.length = 0; // the empty transaction of start()
    let n = 0;
    recorder.respond = () =>
      n++ === 0 ? { status: 503, body: {} } : { status: 200, body: { pdus: {} } };
    const typing = (t: boolean) =>
      typingEdu({ roomId: room.roomId, userId: room.userId, typing: t });
    await sendEdu(s.ctx, typing(true), [REMOTE]);
    await recorder.waitFor((r) => r.received.length === 1);
    await sendEdu(s.ctx, typing(false), [REMOTE]);
    await recorder.waitFor((r) => r.received.length === 3);
    const [first, retry, next] = recorder.received;
    expect(retry!.txnId).toBe(first!.txnId);
    expect(retry!.body).toEqual(first!.body);
    expect(first!.body.edus![0]!.content.typing).toBe(true);
    expect(next!.txnId).not.toBe(first!.txnId);
    expect(next!.body.edus).toEqual(
      [typing(false)].map((e) => ({ edu_type: e.eduType, content: e.content })),
    );
  });

  it('drops typing notifications older than the typing TTL', async () => {
    const { s, recorder, room, start } = await setup();
    await sendEdu(s.ctx, typingEdu({ roomId: room.roomId, userId: room.userId, typing: true }), [
      REMOTE,
    ]);
    await new Promise((r) => setTimeout(r, 150));
    await sendMessages(s, room, 1);
    await start({ typingTtlMs: 100 });
    await recorder.waitFor((r) => r.pduBodies().includes('m0'));
    expect(recorder.edus()).toEqual([]);
  });

  it('puts every queued presence into one m.presence EDU, latest per user, beside the PDUs', async () => {
    const { s, recorder, room, start } = await setup();
    const now = Date.now();
    await sendEdu(
      s.ctx,
      presenceEdu({ userId: room.userId, presence: 'online', lastActiveTs: now }),
      [REMOTE],
    );
    await sendEdu(
      s.ctx,
      presenceEdu({
        userId: room.userId,
        presence: 'unavailable',
        lastActiveTs: now,
        statusMsg: 'away',
      }),
      [REMOTE],
    );
    await sendEdu(s.ctx, presenceEdu({ userId: '@carol:test.local', presence: 'online' }), [
      REMOTE,
    ]);
    await sendMessages(s, room, 2);
    await start();
    await recorder.waitFor((r) => r.pduBodies().length === 2);
    const txn = recorder.received.find((t) => t.body.pdus.length)!;
    expect(txn.body.edus).toHaveLength(1);
    const push = txn.body.edus![0]!.content.push as Record<string, unknown>[];
    expect(txn.body.edus![0]!.edu_type).toBe('m.presence');
    expect(push).toEqual([
      {
        user_id: room.userId,
        presence: 'unavailable',
        status_msg: 'away',
        last_active_ago: expect.any(Number),
      },
      { user_id: '@carol:test.local', presence: 'online', last_active_ago: 0 },
    ]);
    expect(push[0]!.last_active_ago).toBeGreaterThanOrEqual(0);
  });

  it('sends no presence when presence.enabled is false', async () => {
    const { s, recorder, room, start } = await setup({ presence: { enabled: false } });
    await sendEdu(s.ctx, presenceEdu({ userId: room.userId, presence: 'online' }), [REMOTE]);
    await sendEdu(s.ctx, typingEdu({ roomId: room.roomId, userId: room.userId, typing: true }), [
      REMOTE,
    ]);
    await start();
    await recorder.waitFor((r) => r.edus().length >= 1);
    expect(recorder.edus().map((e) => e.edu_type)).toEqual(['m.typing']);
  });

  it('keeps the latest receipt per user, room and receipt type', async () => {
    const { s, recorder, room, start } = await setup();
    const receipt = (eventId: string, type = 'm.read') =>
      receiptEdu({
        roomId: room.roomId,
        receiptType: type,
        userId: room.userId,
        eventIds: [eventId],
        ts: 1,
      });
    await sendEdu(s.ctx, receipt('$one'), [REMOTE]);
    await sendEdu(s.ctx, receipt('$two'), [REMOTE]);
    await sendEdu(s.ctx, receipt('$x', 'org.example.receipt'), [REMOTE]);
    await start();
    await recorder.waitFor((r) => r.edus().length >= 2);
    expect(recorder.edus().map((e) => e.content)).toEqual([
      { [room.roomId]: { 'm.read': { [room.userId]: { event_ids: ['$two'], data: { ts: 1 } } } } },
      {
        [room.roomId]: {
          'org.example.receipt': { [room.userId]: { event_ids: ['$x'], data: { ts: 1 } } },
        },
      },
    ]);
  });
});
