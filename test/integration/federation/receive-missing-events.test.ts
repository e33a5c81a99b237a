import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventJson } from '../../../server/events/event-format.js';
import { computeEventId } from '../../../server/events/hashes.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import type { FederatedTestServer } from '../../helpers/federation-loopback.js';
import { eventOn, originOf, sendTxn, storedPdu } from './receive-helpers.js';
import {
  BOB,
  createRoom,
  enc,
  FED,
  fedReq,
  joinFrom,
  type RoomWithBob,
  send,
  setState,
  startRoomWithBob,
  type User,
} from './reads-helpers.js';

/**
 * POST /_matrix/federation/v1/get_missing_events/{roomId} served by A to other servers:
 * B (bob's server, in the room) and C (no member).
 */

const ports = new Map<string, number>();
let setUp: RoomWithBob | undefined;
let a: FederatedTestServer;
let b: FederatedTestServer;
let c: FederatedTestServer;
let alice: User;
let room: string;
/** m0 .. m9, alice's messages after bob's join. */
let m: string[];
const version = roomVersion('10')!;

beforeAll(async () => {
  setUp = await startRoomWithBob(ports);
  ({ a, b, c, alice, room, messages: m } = setUp);
});
afterAll(async () => {
  await setUp?.close();
});

const path = (roomId: string) => `${FED}/get_missing_events/${enc(roomId)}`;
const ask = (from: FederatedTestServer, roomId: string, body: Record<string, unknown>) =>
  fedReq(from, a, path(roomId), { method: 'POST', body });
const bodies = (events: EventJson[]) =>
  events.map((e) => (e.content as { body?: string }).body ?? e.type);

describe('get_missing_events', () => {
  it('the events between earliest and latest, oldest first, as stored and signed', async () => {
    const r = await ask(b, room, { earliest_events: [m[2]], latest_events: [m[9]] });
    expect(r.status).toBe(200);
    expect(bodies(r.body.events)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8']);
    expect(r.body.events[0]).toEqual(await storedPdu(a, m[3]!));
    expect(computeEventId(r.body.events[5], version)).toBe(m[8]);
  });

  it('limit keeps the newest of the walk; min_depth stops it', async () => {
    const limited = await ask(b, room, {
      earliest_events: [m[0]],
      latest_events: [m[9]],
      limit: 3,
    });
    expect(bodies(limited.body.events)).toEqual(['m6', 'm7', 'm8']);
    const depth = (await storedPdu(a, m[5]!)).depth;
    const shallow = await ask(b, room, {
      earliest_events: [],
      latest_events: [m[9]],
      min_depth: depth,
    });
    expect(bodies(shallow.body.events)).toEqual(['m5', 'm6', 'm7', 'm8']);
  });

  it('unknown latest events give nothing; the limit is capped at 20', async () => {
    const none = await ask(b, room, { earliest_events: [], latest_events: ['$unknown'] });
    expect(none).toMatchObject({ status: 200, body: { events: [] } });
    const more = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinFrom(a, b, more, BOB);
    let last = '';
    for (let i = 0; i < 25; i++) last = await send(a, alice, more, `n${i}`);
    const all = await ask(b, more, { earliest_events: [], latest_events: [last], limit: 500 });
    expect(all.body.events).toHaveLength(20);
  });

  it('rejected events are walked through but never sent', async () => {
    const rejected = await eventOn(a, originOf(b), room, {
      type: 'm.room.message',
      sender: '@mallory:hs-b.test',
      content: { msgtype: 'm.text', body: 'rejected' },
    });
    const after = await eventOn(a, originOf(b), room, {
      type: 'm.room.message',
      sender: BOB,
      content: { msgtype: 'm.text', body: 'after' },
      prevIds: [rejected.eventId, m[9]!],
      unstored: [rejected],
    });
    const txn = await sendTxn(b, a, `rej-${Date.now()}`, { pdus: [rejected.pdu, after.pdu] });
    expect(txn.body.pdus[rejected.eventId].error).toMatch(/rejected/);
    expect(txn.body.pdus[after.eventId]).toEqual({});
    const r = await ask(b, room, { earliest_events: [m[8]], latest_events: [after.eventId] });
    expect(bodies(r.body.events)).toEqual(['m9']);
  });

  it('events from before the server could see the room are sent redacted', async () => {
    const hidden = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await setState(a, alice, hidden, 'm.room.history_visibility', {
      history_visibility: 'joined',
    });
    const secret = await send(a, alice, hidden, 'before bob');
    await joinFrom(a, b, hidden, BOB);
    const open = await send(a, alice, hidden, 'after bob');
    const last = await send(a, alice, hidden, 'last');
    const r = await ask(b, hidden, { earliest_events: [], latest_events: [last], limit: 20 });
    const byId = new Map(
      (r.body.events as EventJson[]).map((e) => [computeEventId(e, version), e]),
    );
    expect(byId.get(secret)!.content).toEqual({});
    expect(byId.get(open)!.content).toMatchObject({ body: 'after bob' });
  });
});

describe('get_missing_events refused', () => {
  it('403 for a server without a member; 404 for an unknown room', async () => {
    const r = await ask(c, room, { earliest_events: [], latest_events: [m[9]] });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
    const unknown = await ask(b, '!nowhere:hs-a.test', {
      earliest_events: [],
      latest_events: [m[9]],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });

  it("403 for a server the room's ACL denies", async () => {
    const acl = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    await joinFrom(a, b, acl, BOB);
    const msg = await send(a, alice, acl, 'x');
    await setState(a, alice, acl, 'm.room.server_acl', { allow: ['hs-a.test'], deny: [] });
    const r = await ask(b, acl, { earliest_events: [], latest_events: [msg] });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
  });

  it('400 for a malformed body', async () => {
    const r = await ask(b, room, { earliest_events: 'x', latest_events: [m[9]] });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_BAD_JSON');
  });
});
