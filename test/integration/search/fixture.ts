import { expect } from 'vitest';
import type { TestServer } from '../../helpers/server.js';

/** What the /search tests share: a user, and requests made the way a client makes them. */

export const V3 = '/_matrix/client/v3';
export type User = { userId: string; token: string; deviceId: string };
export const enc = encodeURIComponent;
export const roomPath = (roomId: string) => `${V3}/rooms/${enc(roomId)}`;

/** Requests against one server, with a transaction counter for sends. */
export function searchClient(s: TestServer) {
  let txn = 0;
  const c = {
    async createRoom(user: User, body: Record<string, unknown> = {}): Promise<string> {
      const r = await s.req('POST', `${V3}/createRoom`, { token: user.token, body });
      expect(r.statusCode).toBe(200);
      return r.json().room_id as string;
    },
    async join(user: User, roomId: string, content: Record<string, unknown> = {}): Promise<void> {
      const r = await s.req('PUT', `${roomPath(roomId)}/state/m.room.member/${enc(user.userId)}`, {
        token: user.token,
        body: { membership: 'join', ...content },
      });
      expect(r.statusCode).toBe(200);
    },
    async invite(by: User, roomId: string, who: User): Promise<void> {
      const r = await s.req('POST', `${roomPath(roomId)}/invite`, {
        token: by.token,
        body: { user_id: who.userId },
      });
      expect(r.statusCode).toBe(200);
    },
    async leave(user: User, roomId: string): Promise<void> {
      const r = await s.req('POST', `${roomPath(roomId)}/leave`, { token: user.token, body: {} });
      expect(r.statusCode).toBe(200);
    },
    async send(
      user: User,
      roomId: string,
      body: unknown,
      extra: Record<string, unknown> = {},
    ): Promise<string> {
      const r = await s.req('PUT', `${roomPath(roomId)}/send/m.room.message/t${++txn}`, {
        token: user.token,
        body: { msgtype: 'm.text', body, ...extra },
      });
      expect(r.statusCode).toBe(200);
      return r.json().event_id as string;
    },
    async state(user: User, roomId: string, type: string, content: unknown): Promise<string> {
      const r = await s.req('PUT', `${roomPath(roomId)}/state/${type}/`, {
        token: user.token,
        body: content,
      });
      expect(r.statusCode).toBe(200);
      return r.json().event_id as string;
    },
    /** POST /search with `room_events` criteria; `nextBatch` as the query parameter. */
    search(user: User, criteria: Record<string, unknown>, nextBatch?: string) {
      const q = nextBatch === undefined ? '' : `?next_batch=${enc(nextBatch)}`;
      return s.req('POST', `${V3}/search${q}`, {
        token: user.token,
        body: { search_categories: { room_events: criteria } },
      });
    },
    /** The room_events answer of a search that must succeed. */
    async roomEvents(user: User, criteria: Record<string, unknown>, nextBatch?: string) {
      const r = await c.search(user, criteria, nextBatch);
      expect(r.statusCode, r.body).toBe(200);
      return r.json().search_categories.room_events;
    },
    /** The event ids a search finds, in order. */
    async ids(user: User, criteria: Record<string, unknown>, nextBatch?: string) {
      const res = await c.roomEvents(user, criteria, nextBatch);
      return (res.results as { result: { event_id: string } }[]).map((r) => r.result.event_id);
    },
  };
  return c;
}
