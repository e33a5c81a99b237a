import { expect } from 'vitest';
import { sendLocalEvent } from '../../../server/events/persist.js';
import type { TestServer } from '../../helpers/server.js';

/** What the relations tests share: users, rooms and events made through the client API. */

export const V1 = '/_matrix/client/v1';
export const V3 = '/_matrix/client/v3';
export type User = { userId: string; token: string; deviceId: string };
export const enc = encodeURIComponent;
export const room = (roomId: string, v = V3) => `${v}/rooms/${enc(roomId)}`;

let txn = 0;

/** A room made by `owner` (public_chat unless `body` says otherwise) that `members` join. */
export async function createRoom(
  s: TestServer,
  owner: User,
  members: User[],
  body: Record<string, unknown> = { preset: 'public_chat' },
): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, { token: owner.token, body });
  expect(r.statusCode).toBe(200);
  const roomId = r.json().room_id as string;
  for (const m of members) await join(s, roomId, m);
  return roomId;
}

export async function join(s: TestServer, roomId: string, user: User): Promise<void> {
  const r = await s.req('PUT', `${room(roomId)}/state/m.room.member/${enc(user.userId)}`, {
    token: user.token,
    body: { membership: 'join' },
  });
  expect(r.statusCode).toBe(200);
}

/** Sends an event and returns its id. */
export async function send(
  s: TestServer,
  roomId: string,
  user: User,
  content: Record<string, unknown>,
  type = 'm.room.message',
): Promise<string> {
  const r = await s.req('PUT', `${room(roomId)}/send/${type}/rel${++txn}`, {
    token: user.token,
    body: content,
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().event_id as string;
}

/**
 * Persists a message event without the client API's checks (as one from another server
 * arrives): for content /send refuses, such as a thread off an event with a relation.
 */
export async function sendUnchecked(
  s: TestServer,
  roomId: string,
  user: User,
  content: Record<string, unknown>,
): Promise<string> {
  const sent = await sendLocalEvent(s.ctx, {
    roomId,
    type: 'm.room.message',
    sender: user.userId,
    content,
  });
  return sent.eventId;
}

export const text = (body: string) => ({ msgtype: 'm.text', body });

/** Content relating to `eventId` with `relType`. */
export const related = (relType: string, eventId: string, body = relType) => ({
  ...text(body),
  'm.relates_to': { rel_type: relType, event_id: eventId },
});

/** A valid edit of `eventId` (an m.room.message edit). */
export const edit = (eventId: string, body: string) => ({
  ...text(`* ${body}`),
  'm.new_content': text(body),
  'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
});

export async function redact(s: TestServer, roomId: string, user: User, eventId: string) {
  const r = await s.req('PUT', `${room(roomId)}/redact/${enc(eventId)}/red${++txn}`, {
    token: user.token,
    body: {},
  });
  expect(r.statusCode).toBe(200);
}

/** GET /event as `user`: the served event. */
export async function getEvent(s: TestServer, roomId: string, eventId: string, user: User) {
  const r = await s.req('GET', `${room(roomId)}/event/${enc(eventId)}`, { token: user.token });
  expect(r.statusCode).toBe(200);
  return r.json();
}
