import type { TestServer } from '../../helpers/server.js';

/** Small client steps the gap tests share: each is one HTTP call, as a client makes it. */

export const V3 = '/_matrix/client/v3';
export const e = encodeURIComponent;

export interface User {
  userId: string;
  token: string;
  deviceId: string;
}

export async function createRoom(s: TestServer, owner: User, body: object = {}): Promise<string> {
  const r = await s.req('POST', `${V3}/createRoom`, {
    token: owner.token,
    body: { preset: 'public_chat', ...body },
  });
  if (r.statusCode !== 200) throw new Error(`createRoom failed: ${r.body}`);
  return r.json().room_id as string;
}

export async function join(s: TestServer, who: User, roomId: string): Promise<void> {
  const r = await s.req('POST', `${V3}/join/${e(roomId)}`, { token: who.token, body: {} });
  if (r.statusCode !== 200) throw new Error(`join failed: ${r.body}`);
}

let txn = 0;
/** Sends an event and returns its id (throws on refusal: use s.req to test refusals). */
export async function send(
  s: TestServer,
  who: User,
  roomId: string,
  content: object,
  type = 'm.room.message',
): Promise<string> {
  const r = await s.req('PUT', `${V3}/rooms/${e(roomId)}/send/${type}/g${++txn}`, {
    token: who.token,
    body: content,
  });
  if (r.statusCode !== 200) throw new Error(`send failed: ${r.body}`);
  return r.json().event_id as string;
}

/** One /sync (no wait); `since` and `filter` as the client passes them. */
export async function sync(
  s: TestServer,
  who: User,
  opts: { since?: string; filter?: object; fullState?: boolean } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<Record<string, any>> {
  const q = new URLSearchParams({ timeout: '0' });
  if (opts.since) q.set('since', opts.since);
  if (opts.filter) q.set('filter', JSON.stringify(opts.filter));
  if (opts.fullState) q.set('full_state', 'true');
  const r = await s.req('GET', `${V3}/sync?${q}`, { token: who.token });
  if (r.statusCode !== 200) throw new Error(`sync failed: ${r.body}`);
  return r.json();
}
