import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { roomPath, searchClient, type User } from './fixture.js';

/**
 * The search index's queue (server/search/index-queue.ts, migration 0023): events' text
 * waits in event_search_pending and enters the FTS5 index in batches, yet a search always
 * sees every event sent before it, a redaction before the move keeps the text out, and
 * text left queued when the server stopped is indexed after it starts again.
 */

let dir: string;
let s: TestServer;
let c: ReturnType<typeof searchClient>;
let alice: User;
let room: string;

const pending = async (srv: TestServer) =>
  (await srv.ctx.db.get<{ n: number }>('SELECT count(*) AS n FROM event_search_pending'))!.n;
const indexed = async (srv: TestServer) =>
  (await srv.ctx.db.get<{ n: number }>('SELECT count(*) AS n FROM event_search'))!.n;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-search-queue-'));
  s = await createTestServer({}, { dir });
  c = searchClient(s);
  alice = await s.register('alice');
  room = await c.createRoom(alice, { name: 'Queue room' });
});
afterAll(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('search index queue', () => {
  it('finds a message searched for right after it was sent', async () => {
    const id = await c.send(alice, room, 'zebra crossing');
    const res = await c.roomEvents(alice, { search_term: 'zebra' });
    expect(res.results.map((r: { result: { event_id: string } }) => r.result.event_id)).toEqual([
      id,
    ]);
    expect(await pending(s)).toBe(0);
  });

  it('moves a burst of messages into the index together, soon after', async () => {
    const before = await indexed(s);
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.send(alice, room, `burst ${i}`)));
    expect(await pending(s)).toBeGreaterThan(0);
    await vi.waitFor(async () => expect(await pending(s)).toBe(0), { timeout: 5_000 });
    expect(await indexed(s)).toBe(before + 20);
    const res = await c.roomEvents(alice, { search_term: 'burst' });
    expect(res.count).toBe(20);
  });

  it('never indexes a message redacted while its text was queued', async () => {
    await c.roomEvents(alice, { search_term: 'anything' }); // the queue is empty
    const before = await indexed(s);
    const id = await c.send(alice, room, 'quagga secret');
    const r = await s.req('PUT', `${roomPath(room)}/redact/${encodeURIComponent(id)}/r1`, {
      token: alice.token,
      body: {},
    });
    expect(r.statusCode).toBe(200);
    expect(await pending(s)).toBe(0); // the trigger dropped the queued row
    const res = await c.roomEvents(alice, { search_term: 'quagga' });
    expect(res.results).toEqual([]);
    expect(await indexed(s)).toBe(before);
  });

  it('indexes text left queued when the server stopped, after it starts again', async () => {
    const id = await c.send(alice, room, 'okapi sighting');
    await s.close(); // within the flush delay: the row stays queued on disk
    s = await createTestServer({}, { dir });
    c = searchClient(s);
    expect(await pending(s)).toBe(1);
    const res = await c.roomEvents(alice, { search_term: 'okapi' });
    expect(res.results.map((x: { result: { event_id: string } }) => x.result.event_id)).toEqual([
      id,
    ]);
  });
});
