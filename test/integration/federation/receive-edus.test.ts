import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { joinBothSides, sendTxn, syncOnce, type Loose } from './receive-helpers.js';
import { createRoom, ROOMY, send, setState, type User } from './reads-helpers.js';

/**
 * The EDUs of PUT /send/{txnId} as a local client sees them in /sync: typing, receipts,
 * presence and to-device messages from bob of B; EDUs about users of another server than
 * the sender, or about rooms whose ACL denies it, change nothing.
 */

const ports = new Map<string, number>();
let a: FederatedTestServer;
let b: FederatedTestServer;
let alice: User;
let roomId: string;
/** A room bob joined before its ACL came to deny B. */
let aclRoom: string;
const BOB = '@bob:hs-b.test';

beforeAll(async () => {
  a = await startFederatedServer('hs-a.test', ports, { config: ROOMY });
  b = await startFederatedServer('hs-b.test', ports, { config: ROOMY });
  alice = await a.register('alice');
  await b.register('bob');
  roomId = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
  await joinBothSides(a, b, roomId, BOB);
  aclRoom = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
  await joinBothSides(a, b, aclRoom, BOB);
  await setState(a, alice, aclRoom, 'm.room.server_acl', { allow: ['hs-a.test'], deny: [] });
});
afterAll(async () => {
  await Promise.all([a, b].map((s) => s?.close()));
});

let seq = 0;
const edusFromB = (...edus: unknown[]) => sendTxn(b, a, `edu${++seq}-${Date.now()}`, { edus });

/** The ephemeral events of the room in a /sync answer, by type. */
function ephemeral(sync: Loose, room: string, type: string): Loose[] {
  const events = (sync.rooms?.join?.[room]?.ephemeral?.events ?? []) as Loose[];
  return events.filter((e) => e.type === type);
}

const typing = (userId: string, typing: boolean, room = roomId) => ({
  edu_type: 'm.typing',
  content: { room_id: room, user_id: userId, typing },
});

describe('m.typing', () => {
  it('bob typing is seen by alice, and his stop too', async () => {
    const before = await syncOnce(a, alice.token);
    expect((await edusFromB(typing(BOB, true))).status).toBe(200);
    const during = await syncOnce(a, alice.token, before.next_batch);
    expect(ephemeral(during, roomId, 'm.typing')).toEqual([
      { type: 'm.typing', content: { user_ids: [BOB] } },
    ]);
    await edusFromB(typing(BOB, false));
    const after = await syncOnce(a, alice.token, during.next_batch);
    expect(ephemeral(after, roomId, 'm.typing')).toEqual([
      { type: 'm.typing', content: { user_ids: [] } },
    ]);
  });

  it("ignored for a user of another server, a user not in the room, or under the room's ACL", async () => {
    const before = await syncOnce(a, alice.token);
    const r = await edusFromB(
      typing('@carol:hs-c.test', true),
      typing('@dave:hs-b.test', true),
      typing(BOB, true, aclRoom),
      { edu_type: 'm.typing', content: { room_id: roomId } },
      'not an EDU',
    );
    expect(r).toEqual({ status: 200, body: { pdus: {} } });
    const after = await syncOnce(a, alice.token, before.next_batch);
    expect(ephemeral(after, roomId, 'm.typing')).toEqual([]);
    expect(ephemeral(after, aclRoom, 'm.typing')).toEqual([]);
  });
});

describe('m.receipt', () => {
  it("bob's read receipt reaches alice's /sync with its timestamp", async () => {
    const msg = await send(a, alice, roomId, 'read me');
    const before = await syncOnce(a, alice.token);
    const r = await edusFromB({
      edu_type: 'm.receipt',
      content: {
        [roomId]: {
          'm.read': { [BOB]: { event_ids: [msg], data: { ts: 1_700_000_000_000 } } },
          // Never federated: ignored.
          'm.read.private': { [BOB]: { event_ids: [msg], data: { ts: 1 } } },
        },
      },
    });
    expect(r.status).toBe(200);
    const after = await syncOnce(a, alice.token, before.next_batch);
    expect(ephemeral(after, roomId, 'm.receipt')).toEqual([
      {
        type: 'm.receipt',
        content: { [msg]: { 'm.read': { [BOB]: { ts: 1_700_000_000_000 } } } },
      },
    ]);
  });

  it('receipts for users of another server, unknown events, or under the ACL change nothing', async () => {
    const msg = await send(a, alice, roomId, 'read me too');
    const denied = await send(a, alice, aclRoom, 'not for B');
    const before = await syncOnce(a, alice.token);
    await edusFromB({
      edu_type: 'm.receipt',
      content: {
        [roomId]: {
          'm.read': {
            '@carol:hs-c.test': { event_ids: [msg], data: { ts: 1 } },
            [BOB]: { event_ids: ['$unknown'], data: { ts: 1 } },
          },
        },
        [aclRoom]: { 'm.read': { [BOB]: { event_ids: [denied], data: { ts: 1 } } } },
      },
    });
    const after = await syncOnce(a, alice.token, before.next_batch);
    expect(ephemeral(after, roomId, 'm.receipt')).toEqual([]);
    expect(ephemeral(after, aclRoom, 'm.receipt')).toEqual([]);
  });
});

describe('m.presence', () => {
  it("bob's presence is seen by alice, who shares a room with him", async () => {
    const before = await syncOnce(a, alice.token);
    await edusFromB({
      edu_type: 'm.presence',
      content: {
        push: [
          {
            user_id: BOB,
            presence: 'online',
            last_active_ago: 2000,
            currently_active: true,
            status_msg: 'on the train',
          },
          // Another server's user: ignored.
          { user_id: '@carol:hs-c.test', presence: 'online', last_active_ago: 0 },
        ],
      },
    });
    const after = await syncOnce(a, alice.token, before.next_batch);
    const events = (after.presence?.events ?? []) as Loose[];
    const bobs = events.filter((e) => e.sender === BOB);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]!.content).toMatchObject({
      presence: 'online',
      currently_active: true,
      status_msg: 'on the train',
    });
    expect(bobs[0]!.content.last_active_ago).toBeGreaterThanOrEqual(2000);
    expect(events.some((e) => e.sender === '@carol:hs-c.test')).toBe(false);
    const status = await a.req('GET', `/_matrix/client/v3/presence/${BOB}/status`, {
      token: alice.token,
    });
    expect(status.json().presence).toBe('online');
  });
});

describe('m.direct_to_device', () => {
  const message = (messageId: string, content: Record<string, unknown>, device?: string) => ({
    edu_type: 'm.direct_to_device',
    content: {
      sender: BOB,
      type: 'm.room_key_request',
      message_id: messageId,
      messages: { [alice.userId]: { [device ?? alice.deviceId]: content } },
    },
  });

  it("reaches alice's device once, however often its message_id comes", async () => {
    const before = await syncOnce(a, alice.token);
    await edusFromB(message('m1', { n: 1 }));
    await edusFromB(message('m1', { n: 1 }));
    const after = await syncOnce(a, alice.token, before.next_batch);
    expect(after.to_device.events).toEqual([
      { sender: BOB, type: 'm.room_key_request', content: { n: 1 } },
    ]);
    const later = await syncOnce(a, alice.token, after.next_batch);
    expect(later.to_device?.events ?? []).toEqual([]);
  });

  it("'*' reaches every device of the user; a sender of another server is refused", async () => {
    const before = await syncOnce(a, alice.token);
    await edusFromB(message('m2', { n: 2 }, '*'), {
      edu_type: 'm.direct_to_device',
      content: {
        sender: '@carol:hs-c.test',
        type: 'm.room_key_request',
        message_id: 'm3',
        messages: { [alice.userId]: { '*': { n: 3 } } },
      },
    });
    const after = await syncOnce(a, alice.token, before.next_batch);
    expect(after.to_device.events).toEqual([
      { sender: BOB, type: 'm.room_key_request', content: { n: 2 } },
    ]);
  });

  it('device list and signing key updates are accepted and ignored for now', async () => {
    const r = await edusFromB(
      { edu_type: 'm.device_list_update', content: { user_id: BOB, device_id: 'X' } },
      { edu_type: 'm.signing_key_update', content: { user_id: BOB } },
      { edu_type: 'org.example.unknown', content: {} },
    );
    expect(r).toEqual({ status: 200, body: { pdus: {} } });
  });
});
