import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRoomWithCreateEvent,
  sendLocalEvent,
  type PersistedEvent,
} from '../../../server/events/persist.js';
import { roomVersion } from '../../../server/events/room-versions.js';
import { loadStateGroup } from '../../../server/events/state-groups.js';
import { stateKeyId } from '../../../server/events/state-map.js';
import * as store from '../../../server/events/store.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * The persist path on a real database: rooms of several versions built event by event,
 * the authorization rules refusing what they must (and then nothing is written), state
 * after each event, and one linear DAG under concurrent sends.
 */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const ALICE = '@alice:test.local';
const BOB = '@bob:test.local';
const send = (
  roomId: string,
  type: string,
  sender: string,
  content: Record<string, unknown>,
  stateKey?: string,
) => sendLocalEvent(s.ctx, { roomId, type, sender, content, stateKey });
const countEvents = async () =>
  (await s.ctx.db.get<{ n: number }>('SELECT count(*) AS n FROM events'))!.n;

async function makeRoom(v: string): Promise<string> {
  const create = await createRoomWithCreateEvent(s.ctx, {
    version: roomVersion(v)!,
    sender: ALICE,
    content: {},
  });
  const roomId = create.roomId;
  await send(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE);
  await send(
    roomId,
    'm.room.power_levels',
    ALICE,
    { users: v === '12' ? {} : { [ALICE]: 100 } },
    '',
  );
  await send(roomId, 'm.room.join_rules', ALICE, { join_rule: 'public' }, '');
  return roomId;
}

describe.each(['1', '6', '10', '11', '12'])('room version %s', (v) => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await makeRoom(v);
  });

  it('the room id has the version format', () => {
    expect(roomId).toMatch(v === '12' ? /^![A-Za-z0-9_-]{43}$/ : /^![A-Za-z]{18}:test\.local$/);
  });

  it('a member sends; a message keeps the state group of the event before it', async () => {
    const before = (await store.getEventRow(
      s.ctx.db,
      (await store.getForwardExtremities(s.ctx.db, roomId))[0]!,
    ))!;
    const msg = await send(roomId, 'm.room.message', ALICE, { msgtype: 'm.text', body: 'hi' });
    const row = (await store.getEventRow(s.ctx.db, msg.eventId))!;
    expect(row.state_group).toBe(before.state_group);
    expect(row.depth).toBe(before.depth + 1);
    expect(await store.getForwardExtremities(s.ctx.db, roomId)).toEqual([msg.eventId]);
  });

  it('a non-member is refused with the rule, and nothing is written', async () => {
    const n = await countEvents();
    await expect(send(roomId, 'm.room.message', BOB, { body: 'let me in' })).rejects.toMatchObject({
      errcode: 'M_FORBIDDEN',
      status: 403,
      message: expect.stringMatching(/authorization rule v\d+ /),
    });
    expect(await countEvents()).toBe(n);
  });

  it('anyone may join a public room, but a member without power cannot change power levels', async () => {
    const join = await send(roomId, 'm.room.member', BOB, { membership: 'join' }, BOB);
    await send(roomId, 'm.room.message', BOB, { msgtype: 'm.text', body: 'hello' });
    await expect(
      send(roomId, 'm.room.power_levels', BOB, { users: { [BOB]: 100 } }, ''),
    ).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
    const current = await store.getCurrentState(s.ctx.db, roomId);
    expect(current).toContainEqual({
      type: 'm.room.member',
      state_key: BOB,
      event_id: join.eventId,
    });
    const row = (await store.getEventRow(s.ctx.db, join.eventId))!;
    const state = await loadStateGroup(s.ctx, row.state_group!);
    expect(state.get(stateKeyId('m.room.member', BOB))).toBe(join.eventId);
    expect(state.size).toBe(current.length);
  });
});

describe('concurrency and errors', () => {
  it('concurrent sends to one room make one linear chain', async () => {
    const roomId = await makeRoom('10');
    const sent: PersistedEvent[] = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send(roomId, 'm.room.message', ALICE, { msgtype: 'm.text', body: `m${i}` }),
      ),
    );
    const ordered = [...sent].sort((a, b) => a.streamOrdering - b.streamOrdering);
    for (let i = 1; i < ordered.length; i++) {
      expect(ordered[i]!.pdu.prev_events).toEqual([ordered[i - 1]!.eventId]);
      expect(ordered[i]!.pdu.depth).toBe(ordered[i - 1]!.pdu.depth + 1);
    }
    expect(await store.getForwardExtremities(s.ctx.db, roomId)).toEqual([ordered.at(-1)!.eventId]);
  });

  it('an unknown room is 404 M_NOT_FOUND', async () => {
    await expect(send('!nope:test.local', 'm.room.message', ALICE, {})).rejects.toMatchObject({
      errcode: 'M_NOT_FOUND',
      status: 404,
    });
  });
});
