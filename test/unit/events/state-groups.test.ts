import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadStateGroup,
  SNAPSHOT_INTERVAL,
  storeStateGroup,
} from '../../../server/events/state-groups.js';
import {
  stateDelta,
  stateKeyId,
  splitStateKeyId,
  type StateMap,
} from '../../../server/events/state-map.js';
import { getStateGroup } from '../../../server/events/state-store.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** State groups on a real database: what is stored must load back exactly, from any group. */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const ROOM = '!room:test.local';
const member = (u: string) => stateKeyId('m.room.member', u);

async function store(prev: { groupId: number; state: StateMap } | null, state: StateMap) {
  return s.ctx.writer.transaction('test_state_group', (tx) =>
    storeStateGroup(s.ctx, tx, { roomId: ROOM, prev, state }),
  );
}

/** Loads bypassing the cache, so the database is what is checked. */
async function loadFresh(groupId: number): Promise<StateMap> {
  s.ctx.caches.stateGroups.clear();
  return loadStateGroup(s.ctx, groupId);
}

describe('state map keys', () => {
  it.each([
    ['m.room.member', '@a:x'],
    ['m.room.name', ''],
    ['com.example', 'key\u0000with nul'],
  ])('%s / %j round-trips', (type, key) => {
    expect(splitStateKeyId(stateKeyId(type, key))).toEqual([type, key]);
  });

  it('stateDelta lists changes, additions and removals', () => {
    const a = new Map([
      ['x', '$1'],
      ['y', '$2'],
    ]);
    const b = new Map([
      ['x', '$1'],
      ['y', '$3'],
      ['z', '$4'],
    ]);
    expect(stateDelta(a, b)).toEqual(
      new Map([
        ['y', '$3'],
        ['z', '$4'],
      ]),
    );
    expect(stateDelta(b, a)).toEqual(
      new Map([
        ['y', '$2'],
        ['z', null],
      ]),
    );
  });
});

describe('storeStateGroup / loadStateGroup', () => {
  it("a room's first group is a snapshot and loads back", async () => {
    const state = new Map([
      [stateKeyId('m.room.create', ''), '$create'],
      [member('@a:x'), '$join'],
    ]);
    const id = await store(null, state);
    expect(await getStateGroup(s.ctx.db, id)).toMatchObject({ prev_group: null, delta_depth: 0 });
    expect(await loadFresh(id)).toEqual(state);
  });

  it('an event that changes no state reuses the group before it', async () => {
    const state = new Map([[stateKeyId('m.room.create', ''), '$c2']]);
    const id = await store(null, state);
    expect(await store({ groupId: id, state }, new Map(state))).toBe(id);
  });

  it('a chain of deltas loads the right state from every group, with snapshots every interval', async () => {
    let state: Map<string, string> = new Map([[stateKeyId('m.room.create', ''), '$c3']]);
    let groupId = await store(null, state);
    const expected = new Map<number, Map<string, string>>([[groupId, state]]);
    for (let i = 1; i <= SNAPSHOT_INTERVAL + 5; i++) {
      const next = new Map(state);
      next.set(member(`@u${i}:x`), `$join${i}`);
      if (i % 7 === 0) next.set(stateKeyId('m.room.name', ''), `$name${i}`);
      if (i % 10 === 0) next.delete(member(`@u${i - 5}:x`));
      groupId = await store({ groupId, state }, next);
      expected.set(groupId, next);
      state = next;
    }
    for (const [id, want] of expected) expect(await loadFresh(id)).toEqual(want);
    const depths = await Promise.all(
      [...expected.keys()].map(async (id) => (await getStateGroup(s.ctx.db, id))!.delta_depth),
    );
    expect(Math.max(...depths)).toBe(SNAPSHOT_INTERVAL - 1);
    expect(depths.filter((d) => d === 0).length).toBe(2);
  });

  it('a removal recorded in a delta hides the key again', async () => {
    const a = new Map([
      [stateKeyId('m.room.create', ''), '$c4'],
      [member('@gone:x'), '$j'],
    ]);
    const g1 = await store(null, a);
    const b = new Map([[stateKeyId('m.room.create', ''), '$c4']]);
    const g2 = await store({ groupId: g1, state: a }, b);
    expect(await loadFresh(g2)).toEqual(b);
    expect(await loadFresh(g1)).toEqual(a);
  });

  it('a group that does not exist is an error, not an empty state', async () => {
    await expect(loadFresh(999_999)).rejects.toThrow(/does not exist/);
  });

  it('nothing is stored when the unit fails', async () => {
    const before = (await s.ctx.db.get<{ n: number }>('SELECT count(*) AS n FROM state_groups'))!.n;
    await expect(
      s.ctx.writer.transaction('failing', async (tx) => {
        await storeStateGroup(s.ctx, tx, {
          roomId: ROOM,
          prev: null,
          state: new Map([['a\u0000', '$x']]),
        });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = (await s.ctx.db.get<{ n: number }>('SELECT count(*) AS n FROM state_groups'))!.n;
    expect(after).toBe(before);
  });
});
