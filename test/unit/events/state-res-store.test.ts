import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referencedEventIds } from '../../../server/events/event-format.js';
import { roomVersion, type RoomVersion } from '../../../server/events/room-versions.js';
import {
  memoryFetch,
  resolveStateGroups,
  storeFetch,
  type StateResEvent,
} from '../../../server/events/state-res/index.js';
import * as store from '../../../server/events/store.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { ALICE, BOB, buildDag, CHARLIE, join, levels, type NodeSpec } from './state-res-dag.js';

/**
 * State resolution reading a real database (storeFetch): events and their rejection from
 * the events tables, auth chains from the auth-chain index, and for events stored without
 * their chain (or not stored at all) by walking auth_events. The answers must be those of
 * the same events in memory.
 */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const V10 = roomVersion('10') as RoomVersion;

/** Stores events as the persist path does; `unindexed` ones without auth rows or chain. */
async function storeEvents(
  events: Iterable<StateResEvent>,
  opts: { unindexed?: Set<string>; skip?: Set<string> } = {},
): Promise<void> {
  await s.ctx.writer.transaction('test_store_events', async (tx) => {
    for (const e of events) {
      if (opts.skip?.has(e.event_id)) continue;
      const { rejected, event_id: _id, ...pdu } = e;
      await store.insertEvent(tx, {
        eventId: e.event_id,
        roomId: e.room_id ?? '!room:example.com',
        type: e.type,
        stateKey: e.state_key ?? null,
        sender: e.sender,
        depth: e.depth,
        originServerTs: e.origin_server_ts,
        outlier: false,
        rejectedReason: rejected ? 'auth' : null,
        stateGroup: null,
        json: JSON.stringify(pdu),
      });
      if (opts.unindexed?.has(e.event_id)) continue;
      await store.insertAuthChain(
        tx,
        e.event_id,
        referencedEventIds(e.auth_events),
        e.state_key !== undefined,
      );
    }
  });
}

const topic = (id: string, sender: string): NodeSpec => ({
  id,
  sender,
  type: 'm.room.topic',
  stateKey: '',
  content: { topic: id },
});

describe('storeFetch', () => {
  it('reads auth chains from the index, and walks the events stored without one', async () => {
    const v = V10;
    const dag = await buildDag(
      v,
      [
        topic('T1', ALICE),
        {
          id: 'PA',
          sender: ALICE,
          type: 'm.room.power_levels',
          stateKey: '',
          content: { users: levels(v, { [ALICE]: 100, [BOB]: 50 }) },
        },
        topic('T2', BOB),
        {
          id: 'MB',
          sender: ALICE,
          type: 'm.room.member',
          stateKey: BOB,
          content: { membership: 'ban' },
        },
        { id: 'MC', sender: CHARLIE, type: 'm.room.member', stateKey: CHARLIE, content: join },
      ],
      [
        ['END', 'MB', 'T2', 'PA', 'T1', 'START'],
        ['END', 'MC', 'T1'],
      ],
    );
    // Rename the ids apart from other tests' (one database for the file).
    const ids = [...dag.events.keys()];
    const memory = memoryFetch(dag.events);
    // PA's chain is not indexed, MB is not stored at all (a memory event), IMB only as JSON.
    const unindexed = new Set(['$PA:example.com', '$IMB:example.com']);
    const extra = new Map([['$MB:example.com', dag.events.get('$MB:example.com')!]]);
    await storeEvents(dag.events.values(), { unindexed, skip: new Set(extra.keys()) });
    const fromStore = storeFetch(s.ctx.db, extra);
    for (const set of [
      ids,
      ['$MB:example.com'],
      ['$T2:example.com'],
      ['$IMB:example.com', '$MC:example.com'],
      [],
    ]) {
      expect([...(await fromStore.authChain(set))].sort(), set.join()).toEqual(
        [...(await memory.authChain(set))].sort(),
      );
    }
    const read = await fromStore.events(['$PA:example.com', '$MB:example.com', '$nope']);
    expect([...read.keys()].sort()).toEqual(['$MB:example.com', '$PA:example.com']);
    expect(read.get('$PA:example.com')).toEqual(dag.events.get('$PA:example.com'));

    // The same resolution from the database as from memory: END's forks.
    const forks = [dag.stateAfter.get('MB')!, dag.stateAfter.get('MC')!];
    const expected = await resolveStateGroups(v, forks, memory);
    expect(await resolveStateGroups(v, forks, fromStore)).toEqual(expected);
    expect(expected).toEqual(dag.stateAfter.get('END'));
  });

  it('marks the events rejected on receipt, which then take no part', async () => {
    const roomId = '!rejected:example.com';
    const base = {
      room_id: roomId,
      prev_events: [],
      depth: 1,
      origin_server_ts: 0,
    };
    const events: StateResEvent[] = [
      {
        ...base,
        event_id: '$rc',
        type: 'm.room.create',
        state_key: '',
        sender: ALICE,
        content: { creator: ALICE },
        auth_events: [],
      },
      {
        ...base,
        event_id: '$rma',
        type: 'm.room.member',
        state_key: ALICE,
        sender: ALICE,
        content: join,
        auth_events: ['$rc'],
      },
      {
        ...base,
        event_id: '$rt1',
        type: 'm.room.topic',
        state_key: '',
        sender: ALICE,
        content: {},
        auth_events: ['$rc', '$rma'],
        origin_server_ts: 1,
      },
      {
        ...base,
        event_id: '$rt2',
        type: 'm.room.topic',
        state_key: '',
        sender: ALICE,
        content: {},
        auth_events: ['$rc', '$rma'],
        origin_server_ts: 2,
        rejected: true,
      },
    ];
    await storeEvents(events);
    const fetch = storeFetch(s.ctx.db);
    expect((await fetch.events(['$rt2'])).get('$rt2')?.rejected).toBe(true);
    expect((await fetch.events(['$rt1'])).get('$rt1')?.rejected).toBeUndefined();
    const common = new Map([
      ['m.room.create\u0000', '$rc'],
      [`m.room.member\u0000${ALICE}`, '$rma'],
    ]);
    const out = await resolveStateGroups(
      V10,
      [
        new Map(common).set('m.room.topic\u0000', '$rt1'),
        new Map(common).set('m.room.topic\u0000', '$rt2'),
      ],
      fetch,
    );
    expect(out.get('m.room.topic\u0000')).toBe('$rt1');
  });
});
