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
import { sendLocalEvent } from '../../../server/events/persist.js';
import {
  destinationsForRoom,
  destinationsForUser,
} from '../../../server/federation/sender/destinations.js';

/**
 * Who gets what: the servers in a room get its events (a kicked server its kick), start and
 * resume contact every server sharing a room, a request from a server ends our backoff
 * towards it, and a queue grown past the catch-up threshold sends each room's newest event.
 */

const FAST = { minMs: 50, multiplier: 2, maxMs: 1_000 };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(names: string[]) {
  const s: TestServer = await createTestServer();
  const recorders = new Map<string, FederationRecorder>();
  const ports = new Map<string, number>();
  for (const n of names) {
    const r = await FederationRecorder.start();
    recorders.set(n, r);
    ports.set(n, r.port);
  }
  const stops: (() => Promise<void>)[] = [];
  cleanup.push(async () => {
    for (const stop of stops) await stop();
    for (const r of recorders.values()) await r.close();
    await s.close();
  });
  const start = async (opts: Partial<FederationSenderOptions> = {}) => {
    const sender = await startFederationSender(s.ctx, {
      client: recorderClient(ports),
      backoff: FAST,
      ...opts,
    });
    stops.push(() => sender.stop());
    return sender;
  };
  return { s, rec: (n: string) => recorders.get(n)!, start };
}

const V3 = '/_matrix/client/v3';

describe('federation sender: destinations', () => {
  it('sends a kick to the kicked server, and nothing of the room afterwards', async () => {
    const { s, rec, start } = await setup(['remote.test', 'other.test']);
    const room = await roomSharedWith(s, ['@bob:remote.test', '@olga:other.test']);
    await start();
    const r = await s.req('POST', `${V3}/rooms/${encodeURIComponent(room.roomId)}/kick`, {
      token: room.token,
      body: { user_id: '@bob:remote.test', reason: 'bye' },
    });
    expect(r.statusCode).toBe(200);
    await sendMessages(s, room, 1, 'after-kick');
    await rec('other.test').waitFor((x) => x.pduBodies().includes('after-kick0'));
    await rec('remote.test').waitFor((x) =>
      x.received.some((t) => t.body.pdus.some((p) => p.type === 'm.room.member')),
    );
    const kick = rec('remote.test').received.flatMap((t) => t.body.pdus)[0]!;
    expect(kick).toMatchObject({
      type: 'm.room.member',
      state_key: '@bob:remote.test',
      content: { membership: 'leave', reason: 'bye' },
    });
    expect(rec('remote.test').pduBodies()).not.toContain('after-kick0');
    expect(
      rec('other.test')
        .received.flatMap((t) => t.body.pdus)
        .map((p) => p.type),
    ).toEqual(['m.room.member', 'm.room.message']);
  });

  it('contacts every server sharing a room on start and on wake, and no other', async () => {
    const { s, rec, start } = await setup(['remote.test', 'other.test', 'gone.test']);
    const room = await roomSharedWith(s, [
      '@bob:remote.test',
      '@olga:other.test',
      '@gus:gone.test',
    ]);
    // gus left: gone.test shares no room any more.
    await sendLocalEvent(s.ctx, {
      roomId: room.roomId,
      type: 'm.room.member',
      stateKey: '@gus:gone.test',
      sender: '@gus:gone.test',
      content: { membership: 'leave' },
    });
    const sender = await start();
    for (const n of ['remote.test', 'other.test']) {
      expect(rec(n).received).toHaveLength(1);
      expect(rec(n).received[0]!.body).toEqual({
        origin: 'test.local',
        origin_server_ts: expect.any(Number),
        pdus: [],
      });
    }
    expect(rec('gone.test').received).toHaveLength(0);
    await sender.wake();
    expect(rec('remote.test').received).toHaveLength(2);
    expect(rec('other.test').received).toHaveLength(2);
    expect(rec('gone.test').received).toHaveLength(0);
  });

  it('ends the backoff when the destination calls us (destinationIsUp), and on wake', async () => {
    const { s, rec, start } = await setup(['remote.test']);
    const remote = rec('remote.test');
    const room = await roomSharedWith(s, ['@bob:remote.test']);
    // A long backoff: without the calls below nothing would be retried during the test.
    const sender = await start({ backoff: { minMs: 60_000, maxMs: 600_000 } });
    await remote.down();
    await sendMessages(s, room, 1, 'p');
    await remote.waitFor(() => sender.retryStateOf('remote.test').retryIntervalMs === 60_000);
    await remote.up();
    await new Promise((r) => setTimeout(r, 200));
    expect(remote.pduBodies()).toEqual([]);
    sender.destinationIsUp('remote.test');
    await remote.waitFor((r) => r.pduBodies().includes('p0'), 2_000);
    expect(sender.retryStateOf('remote.test').retryIntervalMs).toBe(0);

    await remote.down();
    await sendMessages(s, room, 1, 'q');
    await remote.waitFor(() => sender.retryStateOf('remote.test').retryIntervalMs === 60_000);
    await remote.up();
    await sender.wake();
    expect(remote.pduBodies()).toEqual(['p0', 'q0']);
  });

  it('after an outage past the catch-up threshold, sends the newest event of each room', async () => {
    const { s, rec, start } = await setup(['remote.test']);
    const remote = rec('remote.test');
    const a = await roomSharedWith(s, ['@bob:remote.test']);
    const b = await roomSharedWith(s, ['@bob:remote.test'], 'carol');
    // Queued while no sender runs (the machine was asleep, say): 35 waiting events.
    await sendMessages(s, a, 30, 'a');
    await sendMessages(s, b, 5, 'b');
    await start({ catchUpThreshold: 20 });
    // Past the threshold, each room's newest event is sent; the destination fetches the gap
    // (/get_missing_events) as it would after any other missed events.
    expect(remote.pduBodies()).toEqual(['a29', 'b4']);
    await sendMessages(s, a, 2, 'c');
    await remote.waitFor((r) => r.pduBodies().length === 4);
    expect(remote.pduBodies()).toEqual(['a29', 'b4', 'c0', 'c1']);
  });

  it('finds the servers of a room, and of the rooms a user is in (where presence goes)', async () => {
    const { s } = await setup([]);
    const a = await roomSharedWith(s, ['@bob:remote.test', '@olga:other.test', '@al:test.local']);
    const b = await roomSharedWith(s, ['@zed:third.test'], 'carol');
    expect(await destinationsForRoom(s.ctx, s.ctx.db, a.roomId)).toEqual([
      'other.test',
      'remote.test',
    ]);
    expect(await destinationsForUser(s.ctx, a.userId)).toEqual(['other.test', 'remote.test']);
    expect(await destinationsForUser(s.ctx, b.userId)).toEqual(['third.test']);
    expect(await destinationsForUser(s.ctx, '@nobody:test.local')).toEqual([]);
  });
});
