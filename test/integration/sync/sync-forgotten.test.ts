import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Forgotten rooms (POST /rooms/{roomId}/forget) leave the `leave` section of /sync. */

const V3 = '/_matrix/client/v3';
type User = { userId: string; token: string; deviceId: string };
const e = encodeURIComponent;
const INCLUDE_LEAVE = JSON.stringify({ room: { include_leave: true } });
let s: TestServer;
let n = 0;

beforeAll(async () => {
  s = await createTestServer({ rc_room_creation: { per_second: 1000, burst_count: 1000 } });
});
afterAll(() => s.close());

const user = () => s.register(`f${++n}`) as Promise<User>;
async function post(u: User, path: string) {
  const r = await s.req('POST', `${V3}${path}`, { token: u.token, body: {} });
  expect(r.statusCode).toBe(200);
  return r.json();
}
async function sync(u: User, q: Record<string, string> = {}) {
  const r = await s.req('GET', `${V3}/sync?${new URLSearchParams(q)}`, { token: u.token });
  expect(r.statusCode).toBe(200);
  return r.json() as { next_batch: string; rooms: Record<string, Record<string, unknown>> };
}
/** A room `a` made, that `b` joined and left. */
async function leftRoom(a: User, b: User): Promise<string> {
  const roomId = (await s
    .req('POST', `${V3}/createRoom`, { token: a.token, body: { preset: 'public_chat' } })
    .then((r) => r.json().room_id)) as string;
  await post(b, `/join/${e(roomId)}`);
  await post(b, `/rooms/${e(roomId)}/leave`);
  return roomId;
}

describe('forgotten rooms in /sync', () => {
  it('are left out of the leave section of an initial sync with include_leave', async () => {
    const a = await user();
    const b = await user();
    const roomId = await leftRoom(a, b);
    expect(Object.keys((await sync(b, { filter: INCLUDE_LEAVE })).rooms.leave!)).toContain(roomId);
    await post(b, `/rooms/${e(roomId)}/forget`);
    expect(Object.keys((await sync(b, { filter: INCLUDE_LEAVE })).rooms.leave!)).not.toContain(
      roomId,
    );
  });

  it('are left out of an incremental sync whose window holds the leave', async () => {
    const a = await user();
    const b = await user();
    const kept = await leftRoom(a, b);
    const start = await sync(b);
    const forgotten = await leftRoom(a, b);
    const other = await leftRoom(a, b);
    await post(b, `/rooms/${e(forgotten)}/forget`);
    const next = await sync(b, { since: start.next_batch });
    expect(Object.keys(next.rooms.leave!)).toContain(other);
    expect(Object.keys(next.rooms.leave!)).not.toContain(forgotten);
    const full = await sync(b, {
      since: start.next_batch,
      full_state: 'true',
      filter: INCLUDE_LEAVE,
    });
    expect(Object.keys(full.rooms.leave!)).toContain(kept);
    expect(Object.keys(full.rooms.leave!)).not.toContain(forgotten);
  });

  it('come back once the user joins again', async () => {
    const a = await user();
    const b = await user();
    const roomId = await leftRoom(a, b);
    await post(b, `/rooms/${e(roomId)}/forget`);
    await post(b, `/join/${e(roomId)}`);
    await post(b, `/rooms/${e(roomId)}/leave`);
    expect(Object.keys((await sync(b, { filter: INCLUDE_LEAVE })).rooms.leave!)).toContain(roomId);
  });
});
