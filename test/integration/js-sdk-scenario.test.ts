import * as sdk from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  startSdkClient,
  timelineMessages,
  waitForMembership,
  waitForMessage,
  waitForMyMembership,
  waitUntil,
} from '../helpers/js-sdk-clients.js';
import { listenTestServer, type ListeningTestServer } from '../helpers/listen.js';

/**
 * The life of a room as two people see it through matrix-js-sdk 36, unmodified, against a real
 * listening Hearth (issue 3): join by alias, a conversation, paging back over 500+ messages,
 * typing, receipts, a redaction, a rename, a kick, a ban and an unban. Every assertion is on
 * what a client's Room shows after /sync (or what the SDK's call returns), never on raw HTTP.
 * The steps run in order and share one room: each builds on the state the previous one left.
 */

const V3 = '/_matrix/client/v3';
const ALIAS = '#scenario:test.local';
/** Messages in the conversation, alternating alice (even) and bob (odd). */
const EXCHANGED = 50;
/** Messages alice then sends in bulk, so the room holds more than 500 ... */
const BULK = 500;
/** ... in batches of this many concurrent PUTs (one at a time would take ~5x as long). */
const BATCH = 10;

type Session = { userId: string; token: string; deviceId: string };

let s: ListeningTestServer;
let aliceSession: Session;
let alice: sdk.MatrixClient;
let bob: sdk.MatrixClient;
let roomId: string;
const clients: sdk.MatrixClient[] = [];

/** The conversation's message bodies, in the order they were sent (one at a time). */
const exchanged: string[] = [];

beforeAll(async () => {
  s = await listenTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
  aliceSession = await s.register('alice');
  alice = await startSdkClient(s, aliceSession);
  bob = await startSdkClient(s, await s.register('bob'));
  clients.push(alice, bob);
  ({ room_id: roomId } = await alice.createRoom({
    name: 'Scenario',
    room_alias_name: 'scenario',
    preset: sdk.Preset.PublicChat,
  }));
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await s?.close();
});

/** Awaits a promise that must reject with a MatrixError, and returns that error. */
async function matrixError(p: Promise<unknown>): Promise<sdk.MatrixError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(sdk.MatrixError);
  return err as sdk.MatrixError;
}

/** `c`'s view of the room (which must exist). */
function roomOf(c: sdk.MatrixClient): sdk.Room {
  const room = c.getRoom(roomId);
  if (!room) throw new Error(`${c.getUserId()} has no room ${roomId}`);
  return room;
}

/** Sends a text message as alice with a plain HTTP PUT; resolves with the HTTP status. */
async function sendOverHttp(body: string): Promise<number> {
  const txnId = encodeURIComponent(body);
  const url = `${s.baseUrl}${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`;
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: `Bearer ${aliceSession.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'm.text', body }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends a text message from `from` and resolves with the event once `to` has it from /sync. */
async function say(
  from: sdk.MatrixClient,
  to: sdk.MatrixClient,
  body: string,
): Promise<sdk.MatrixEvent> {
  const seen = waitForMessage(to, roomId, body);
  const { event_id } = await from.sendTextMessage(roomId, body);
  const ev = await seen;
  expect(ev.getId()).toBe(event_id);
  expect(ev.getSender()).toBe(from.getUserId());
  return ev;
}

describe('two matrix-js-sdk users share a room', () => {
  test('bob joins by the alias alice gave the room, and both see him joined', async () => {
    // createRoom answers before the room reaches alice's sync; wait for it, alias and all.
    await waitUntil(
      alice,
      'the new room with its alias',
      () => alice.getRoom(roomId)?.getCanonicalAlias() === ALIAS,
    );
    const room = await bob.joinRoom(ALIAS);
    expect(room.roomId).toBe(roomId);
    await waitForMyMembership(bob, roomId, 'join');
    await waitForMembership(alice, roomId, bob.getUserId()!, 'join');
    expect(roomOf(bob).name).toBe('Scenario');
    expect(roomOf(bob).getCanonicalAlias()).toBe(ALIAS);
    expect(roomOf(alice).getJoinedMemberCount()).toBe(2);
  }, 20_000);

  test(`${EXCHANGED} alternating messages reach both timelines through /sync, in order`, async () => {
    for (let i = 0; i < EXCHANGED; i++) {
      const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
      await say(from, to, `exchange ${i}`);
      exchanged.push(`exchange ${i}`);
    }
    // The sender's own last message may still be a local echo: wait for its remote echo too.
    for (const c of [alice, bob]) {
      await waitUntil(
        c,
        `all ${EXCHANGED} messages from /sync`,
        () => timelineMessages(c, roomId).every((e) => !e.isSending()),
        [sdk.RoomEvent.LocalEchoUpdated],
      );
      const seen = timelineMessages(c, roomId);
      expect(seen.map((e) => e.getContent().body)).toEqual(exchanged);
      expect(seen.map((e) => e.getSender())).toEqual(
        exchanged.map((_, i) => (i % 2 === 0 ? alice : bob).getUserId()),
      );
    }
  }, 60_000);

  test(`a fresh client pages back over all ${EXCHANGED + BULK + 1} messages with no gap or duplicate`, async () => {
    // The bulk goes straight over HTTP. The server orders the PUTs of one batch as they
    // reach the room, so only the order of the batches is known in advance.
    const batches: string[][] = [];
    for (let b = 0; b < BULK / BATCH; b++) {
      const bodies = Array.from({ length: BATCH }, (_, k) => `bulk ${b * BATCH + k}`);
      const answers = await Promise.all(bodies.map((body) => sendOverHttp(body)));
      expect(answers).toEqual(bodies.map(() => 200));
      batches.push(bodies);
    }
    // The running clients come through the flood: a message after it reaches both.
    await say(alice, bob, 'flood over');
    await waitForMessage(alice, roomId, 'flood over');

    // A new device for alice starts from a short initial sync and pages back to the start.
    const login = await s.req('POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'correct horse battery staple',
      },
    });
    expect(login.statusCode).toBe(200);
    const fresh = await startSdkClient(s, {
      userId: login.json().user_id,
      token: login.json().access_token,
      deviceId: login.json().device_id,
    });
    clients.push(fresh);
    const room = fresh.getRoom(roomId)!;
    expect(timelineMessages(fresh, roomId).length).toBeLessThanOrEqual(10); // initialSyncLimit

    let pages = 0;
    while (room.oldState.paginationToken !== null) {
      await fresh.scrollback(room, 100);
      // 551 messages and a few state events take 6 pages of 100; a loop means a broken token.
      expect(++pages).toBeLessThan(20);
    }
    const events = room.getLiveTimeline().getEvents();
    expect(events[0]!.getType()).toBe(sdk.EventType.RoomCreate);
    const ids = events.map((e) => e.getId());
    expect(new Set(ids).size).toBe(ids.length);
    const bodies = timelineMessages(fresh, roomId).map((e) => e.getContent().body as string);
    expect(bodies).toHaveLength(EXCHANGED + BULK + 1);
    expect(bodies.slice(0, EXCHANGED)).toEqual(exchanged);
    expect(bodies.at(-1)).toBe('flood over');
    // Batch after batch, each batch's messages all there exactly once (in whichever order
    // the server gave them).
    const paged = bodies.slice(EXCHANGED, -1);
    batches.forEach((batch, b) => {
      expect(paged.slice(b * BATCH, (b + 1) * BATCH).sort()).toEqual([...batch].sort());
    });
    fresh.stopClient();
  }, 60_000);

  test('bob types, alice sees him typing, then sees him stop', async () => {
    const bobId = bob.getUserId()!;
    const typing = (want: boolean) =>
      waitUntil(
        alice,
        `${bobId} typing=${want}`,
        () => roomOf(alice).getMember(bobId)?.typing === want,
        [sdk.RoomMemberEvent.Typing],
      );
    await bob.sendTyping(roomId, true, 30_000);
    await typing(true);
    await bob.sendTyping(roomId, false, 0);
    await typing(false);
  }, 30_000);

  test("bob's read receipt reaches alice on the event he read", async () => {
    const bobId = bob.getUserId()!;
    // Bob speaks first, as people do. The SDK keeps an implicit receipt for a sender at his
    // latest message and, when it cannot place that message on the live timeline (the flood
    // came to alice in limited syncs, which reset it), prefers the implicit one over the
    // server's in getUsersReadUpTo.
    await say(bob, alice, 'reading along');
    const ev = await say(alice, bob, 'please read this');
    await bob.sendReadReceipt(ev);
    const aliceEv = await waitForMessage(alice, roomId, 'please read this');
    const room = roomOf(alice);
    // `true`: the receipt the server sent, not one the SDK made up.
    await waitUntil(
      alice,
      `${bobId}'s receipt`,
      () => room.getEventReadUpTo(bobId, true) === aliceEv.getId(),
      [sdk.RoomEvent.Receipt],
    );
    expect(room.getUsersReadUpTo(aliceEv)).toContain(bobId);
    const receipt = room.getReceiptsForEvent(aliceEv).find((r) => r.userId === bobId);
    expect(receipt?.type).toBe(sdk.ReceiptType.Read);
    expect(receipt?.data.ts).toEqual(expect.any(Number));
  }, 30_000);

  test('alice redacts a message and bob sees it redacted', async () => {
    const ev = await say(alice, bob, 'oops, wrong room');
    await alice.redactEvent(roomId, ev.getId()!, undefined, { reason: 'mistake' });
    await waitUntil(
      bob,
      'the redaction',
      () => roomOf(bob).findEventById(ev.getId()!)?.isRedacted() === true,
      [sdk.RoomEvent.Redaction],
    );
    const redacted = roomOf(bob).findEventById(ev.getId()!)!;
    expect(redacted.getContent()).toEqual({});
    expect(redacted.getUnsigned().redacted_because?.sender).toBe(alice.getUserId());
  }, 30_000);

  test('alice renames the room and both see the new name', async () => {
    await alice.setRoomName(roomId, 'Renamed scenario');
    for (const c of [alice, bob]) {
      await waitUntil(c, 'the new room name', () => roomOf(c).name === 'Renamed scenario', [
        sdk.RoomEvent.Name,
      ]);
    }
  }, 30_000);

  test('alice kicks bob: he sees himself out, with her reason', async () => {
    const bobId = bob.getUserId()!;
    await alice.kick(roomId, bobId, 'too noisy');
    await waitForMyMembership(bob, roomId, 'leave');
    const kick = roomOf(bob).currentState.getMember(bobId)?.events.member;
    expect(kick?.getSender()).toBe(alice.getUserId());
    expect(kick?.getContent()).toMatchObject({ membership: 'leave', reason: 'too noisy' });
    await waitForMembership(alice, roomId, bobId, 'leave');
  }, 30_000);

  test('a banned bob cannot rejoin; once unbanned he can', async () => {
    const bobId = bob.getUserId()!;
    // A kick is not a ban: bob comes back by the alias.
    await bob.joinRoom(ALIAS);
    await waitForMyMembership(bob, roomId, 'join');

    await alice.ban(roomId, bobId, 'spam');
    await waitForMyMembership(bob, roomId, 'ban');
    const ban = roomOf(bob).currentState.getMember(bobId)?.events.member;
    expect(ban?.getContent()).toMatchObject({ membership: 'ban', reason: 'spam' });

    const refused = await matrixError(bob.joinRoom(ALIAS));
    expect(refused.httpStatus).toBe(403);
    expect(refused.errcode).toBe('M_FORBIDDEN');
    expect(roomOf(bob).getMyMembership()).toBe('ban');

    await alice.unban(roomId, bobId);
    await waitForMembership(alice, roomId, bobId, 'leave');
    // The unban reaches bob too (as in Synapse, a change of his membership to leave puts
    // the room in his sync's `leave` section).
    await waitForMyMembership(bob, roomId, 'leave');
    await bob.joinRoom(ALIAS);
    await waitForMyMembership(bob, roomId, 'join');
    await waitForMembership(alice, roomId, bobId, 'join');
    await say(bob, alice, 'back again');
  }, 30_000);
});
