import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as store from '../../../server/events/store.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** The DAG bookkeeping on a real database: auth chains and forward extremities. */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const ROOM = '!dag:test.local';
const write = <T>(fn: Parameters<typeof s.ctx.writer.transaction<T>>[1]) =>
  s.ctx.writer.transaction('test', fn);

async function addEvent(id: string, prev: string[], auth: string[], depth: number) {
  // These are state events (auth events always are), the rest messages.
  const isState = ['$create', '$join', '$pl', '$twice'].includes(id);
  await write(async (tx) => {
    await store.insertEvent(tx, {
      eventId: id,
      roomId: ROOM,
      type: isState ? 'm.room.member' : 'm.room.message',
      stateKey: isState ? id : null,
      sender: '@a:test.local',
      depth,
      originServerTs: 0,
      outlier: false,
      rejectedReason: null,
      stateGroup: null,
      // A message's auth events are read from its JSON (it has no event_auth rows).
      json: JSON.stringify({ event_id: id, auth_events: auth }),
    });
    await store.insertAuthChain(tx, id, auth, isState);
    await store.advanceForwardExtremities(tx, ROOM, id, prev);
  });
}

describe('events store', () => {
  it('keeps the transitive auth chain and the forward extremities of a forked DAG', async () => {
    await addEvent('$create', [], [], 1);
    await addEvent('$join', ['$create'], ['$create'], 2);
    await addEvent('$pl', ['$join'], ['$create', '$join'], 3);
    await addEvent('$a', ['$pl'], ['$create', '$join', '$pl'], 4);
    await addEvent('$b', ['$pl'], ['$create', '$join', '$pl'], 4);
    expect(await store.getAuthChain(s.ctx.db, '$join')).toEqual(['$create']);
    expect(await store.getAuthChain(s.ctx.db, '$a')).toEqual(['$create', '$join', '$pl']);
    expect(await store.getForwardExtremities(s.ctx.db, ROOM)).toEqual(['$a', '$b']);
    await addEvent('$merge', ['$a', '$b'], ['$create', '$pl'], 5);
    expect(await store.getForwardExtremities(s.ctx.db, ROOM)).toEqual(['$merge']);
    expect(await store.getAuthChain(s.ctx.db, '$merge')).toEqual(['$create', '$join', '$pl']);
  });

  it('gives each event a stream ordering after the ones before it, and its JSON back', async () => {
    const a = (await store.getEventRow(s.ctx.db, '$a'))!.stream_ordering;
    const m = (await store.getEventRow(s.ctx.db, '$merge'))!.stream_ordering;
    expect(m).toBeGreaterThan(a);
    expect(JSON.parse((await store.getEventJson(s.ctx.db, '$merge'))!)).toEqual({
      event_id: '$merge',
      auth_events: ['$create', '$pl'],
    });
  });

  it('refuses the same event id twice, and the failed unit leaves nothing behind', async () => {
    await expect(addEvent('$a', ['$merge'], [], 6)).rejects.toThrow(/UNIQUE/);
    expect(await store.getForwardExtremities(s.ctx.db, ROOM)).toEqual(['$merge']);
  });

  it('current state entries can be set, replaced and removed', async () => {
    await write((tx) => store.setCurrentStateEntry(tx, ROOM, 'm.room.name', '', '$n1'));
    await write((tx) => store.setCurrentStateEntry(tx, ROOM, 'm.room.name', '', '$n2'));
    expect(await store.getCurrentState(s.ctx.db, ROOM)).toEqual([
      { type: 'm.room.name', state_key: '', event_id: '$n2' },
    ]);
    await write((tx) => store.setCurrentStateEntry(tx, ROOM, 'm.room.name', '', null));
    expect(await store.getCurrentState(s.ctx.db, ROOM)).toEqual([]);
  });

  it('records an auth event listed twice once (the rows go in one statement)', async () => {
    await addEvent('$twice', ['$merge'], ['$create', '$pl', '$create'], 6);
    expect(await store.getAuthChain(s.ctx.db, '$twice')).toEqual(['$create', '$join', '$pl']);
  });

  it('records auth rows for state events only; a message chain is read through its JSON', async () => {
    const authRows = async (id: string) =>
      (
        await s.ctx.db.all<{ a: string }>(
          'SELECT auth_event_id AS a FROM event_auth WHERE event_id = ? ORDER BY 1',
          id,
        )
      ).map((r) => r.a);
    expect(await authRows('$pl')).toEqual(['$create', '$join']);
    expect(await authRows('$a')).toEqual([]);
    await addEvent('$late', ['$merge'], ['$pl', '$join', '$create'], 6);
    expect(await authRows('$late')).toEqual([]);
    expect(await store.getAuthChain(s.ctx.db, '$late')).toEqual(['$create', '$join', '$pl']);
    // A message with rows (as databases written before hold them) answers the same.
    await write((tx) =>
      tx.run("INSERT INTO event_auth (event_id, auth_event_id) VALUES ('$late', '$pl')"),
    );
    expect(await store.getAuthChain(s.ctx.db, '$late')).toEqual(['$create', '$join', '$pl']);
    // An event with no auth events, or none stored, has an empty chain.
    expect(await store.getAuthChain(s.ctx.db, '$create')).toEqual([]);
    expect(await store.getAuthChain(s.ctx.db, '$unknown')).toEqual([]);
  });
});
