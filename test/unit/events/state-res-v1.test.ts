import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { roomVersion, type RoomVersion } from '../../../server/events/room-versions.js';
import { stateKeyId } from '../../../server/events/state-map.js';
import {
  memoryFetch,
  resolveStateGroups,
  type StateResEvent,
} from '../../../server/events/state-res/index.js';

/**
 * State resolution of room version 1 (spec rooms/v1 "State resolution"): power levels, then
 * join rules, then memberships, each conflict sorted by depth and sha1(event_id) and
 * checked against the state resolved so far; other conflicts last.
 */

const V1 = roomVersion('1') as RoomVersion;
const ROOM = '!room:example.com';
const ALICE = '@alice:example.com';
const BOB = '@bob:example.com';
const CHARLIE = '@charlie:example.com';
const join = { membership: 'join' };
const key = (type: string, stateKey = '') => stateKeyId(type, stateKey);
const sha1 = (id: string) => createHash('sha1').update(id).digest('hex');

function mk(
  id: string,
  type: string,
  sender: string,
  depth: number,
  opts: { stateKey?: string; content?: Record<string, unknown>; rejected?: boolean } = {},
): StateResEvent {
  return {
    event_id: id,
    type,
    sender,
    room_id: ROOM,
    content: opts.content ?? {},
    origin_server_ts: depth,
    depth,
    prev_events: [['$prev:example.com', { sha256: 'x' }]],
    auth_events: [],
    ...(opts.stateKey === undefined ? {} : { state_key: opts.stateKey }),
    ...(opts.rejected ? { rejected: true } : {}),
  };
}

/** A v1 room: Alice (100) created it; Bob (50) and Charlie (0) joined; join rules public. */
function baseRoom() {
  const events = [
    mk('$create:example.com', 'm.room.create', ALICE, 1, {
      stateKey: '',
      content: { creator: ALICE },
    }),
    mk('$ma:example.com', 'm.room.member', ALICE, 2, { stateKey: ALICE, content: join }),
    mk('$p0:example.com', 'm.room.power_levels', ALICE, 3, {
      stateKey: '',
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    }),
    mk('$jr:example.com', 'm.room.join_rules', ALICE, 4, {
      stateKey: '',
      content: { join_rule: 'public' },
    }),
    mk('$mb:example.com', 'm.room.member', BOB, 5, { stateKey: BOB, content: join }),
    mk('$mc:example.com', 'm.room.member', CHARLIE, 6, { stateKey: CHARLIE, content: join }),
  ];
  const state = new Map(events.map((e) => [key(e.type, e.state_key), e.event_id]));
  return { events, state };
}

async function resolve(
  extra: StateResEvent[],
  forkA: Record<string, string>,
  forkB: Record<string, string>,
): Promise<Map<string, string>> {
  const { events, state } = baseRoom();
  const fork = (changes: Record<string, string>) => {
    const s = new Map(state);
    for (const [k, id] of Object.entries(changes)) s.set(k, id);
    return s;
  };
  const all = new Map([...events, ...extra].map((e) => [e.event_id, e]));
  return resolveStateGroups(V1, [fork(forkA), fork(forkB)], memoryFetch(all));
}

const PL = key('m.room.power_levels');
const JR = key('m.room.join_rules');
const TOPIC = key('m.room.topic');

const pl = (id: string, sender: string, depth: number, users: Record<string, number>) =>
  mk(id, 'm.room.power_levels', sender, depth, { stateKey: '', content: { users } });

describe('state resolution v1: unconflicted state', () => {
  it('keeps what the states agree on, and keys only some states hold', async () => {
    const name = mk('$name:example.com', 'm.room.name', BOB, 10, { stateKey: '' });
    const out = await resolve([name], { [key('m.room.name')]: name.event_id }, {});
    const { state } = baseRoom();
    expect(out).toEqual(new Map(state).set(key('m.room.name'), name.event_id));
  });
});

describe('state resolution v1: power levels', () => {
  it('takes the lowest depth first, then each next one the rules allow', async () => {
    // Alice gives Charlie 50 at depth 10; Bob, on the other fork, sets the levels at depth 11
    // (allowed: he changes nothing above his own level).
    const a = pl('$pa:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 });
    const b = pl('$pb:example.com', BOB, 11, { [ALICE]: 100, [BOB]: 50 });
    const out = await resolve([a, b], { [PL]: a.event_id }, { [PL]: b.event_id });
    // $pb (depth 11) is checked against $pa: Bob may not demote Charlie, who is at his level.
    expect(out.get(PL)).toBe(a.event_id);
  });

  it('lets a later event replace the earlier one when the rules allow it', async () => {
    const a = pl('$pa:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 10 });
    const b = pl('$pb:example.com', BOB, 11, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 });
    const out = await resolve([a, b], { [PL]: a.event_id }, { [PL]: b.event_id });
    expect(out.get(PL)).toBe(b.event_id);
  });

  it('breaks a tie of depth by descending sha1(event_id): the smaller hash comes last', async () => {
    const x = pl('$x:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 1 });
    const y = pl('$y:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 2 });
    const smaller = sha1(x.event_id) < sha1(y.event_id) ? x : y;
    const out = await resolve([x, y], { [PL]: x.event_id }, { [PL]: y.event_id });
    expect(out.get(PL)).toBe(smaller.event_id);
  });

  it('leaves out a rejected or unknown contender', async () => {
    const a = pl('$pa:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 });
    const rejected = { ...pl('$pr:example.com', ALICE, 11, { [ALICE]: 100 }), rejected: true };
    const out = await resolve([a, rejected], { [PL]: a.event_id }, { [PL]: rejected.event_id });
    expect(out.get(PL)).toBe(a.event_id);
    const out2 = await resolve([a], { [PL]: a.event_id }, { [PL]: '$unknown:example.com' });
    expect(out2.get(PL)).toBe(a.event_id);
  });
});

describe('state resolution v1: join rules and members after power levels', () => {
  it('checks join rules against the resolved power levels', async () => {
    // Fork A: Alice demotes Bob. Fork B: Bob makes the room invite-only (later, deeper).
    const demote = pl('$pa:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 0 });
    const aliceJr = mk('$jra:example.com', 'm.room.join_rules', ALICE, 10, {
      stateKey: '',
      content: { join_rule: 'public' },
    });
    const bobJr = mk('$jrb:example.com', 'm.room.join_rules', BOB, 12, {
      stateKey: '',
      content: { join_rule: 'invite' },
    });
    const out = await resolve(
      [demote, aliceJr, bobJr],
      { [PL]: demote.event_id, [JR]: aliceJr.event_id },
      { [JR]: bobJr.event_id },
    );
    expect(out.get(PL)).toBe(demote.event_id);
    expect(out.get(JR)).toBe(aliceJr.event_id);
    // Without the demotion Bob (50 = state_default) may set them, and his, deeper, stand.
    const kept = await resolve(
      [aliceJr, bobJr],
      { [JR]: aliceJr.event_id },
      { [JR]: bobJr.event_id },
    );
    expect(kept.get(JR)).toBe(bobJr.event_id);
  });

  it('resolves a ban against the join it conflicts with', async () => {
    const rejoin = mk('$rejoin:example.com', 'm.room.member', CHARLIE, 10, {
      stateKey: CHARLIE,
      content: { membership: 'join', displayname: 'C' },
    });
    const ban = mk('$ban:example.com', 'm.room.member', BOB, 11, {
      stateKey: CHARLIE,
      content: { membership: 'ban' },
    });
    const member = key('m.room.member', CHARLIE);
    const out = await resolve(
      [rejoin, ban],
      { [member]: rejoin.event_id },
      { [member]: ban.event_id },
    );
    expect(out.get(member)).toBe(ban.event_id);
    // A demoted Bob cannot ban: the ban is refused and the join stands.
    const demote = pl('$pa:example.com', ALICE, 10, { [ALICE]: 100, [BOB]: 0 });
    const out2 = await resolve(
      [rejoin, ban, demote],
      { [member]: rejoin.event_id, [PL]: demote.event_id },
      { [member]: ban.event_id },
    );
    expect(out2.get(member)).toBe(rejoin.event_id);
  });
});

describe('state resolution v1: memberships are resolved as auth events', () => {
  it('checks the deeper membership with the shallower one applied: a banned user stays out', async () => {
    // Bob bans Charlie (depth 10); on the other fork Charlie joins again (depth 11). The
    // join is checked against the ban and refused. (As an ordinary conflict the join,
    // deeper and allowed in a state without Charlie's membership, would have won.)
    const member = key('m.room.member', CHARLIE);
    const ban = mk('$ban:example.com', 'm.room.member', BOB, 10, {
      stateKey: CHARLIE,
      content: { membership: 'ban' },
    });
    const rejoin = mk('$rejoin:example.com', 'm.room.member', CHARLIE, 11, {
      stateKey: CHARLIE,
      content: join,
    });
    const out = await resolve(
      [ban, rejoin],
      { [member]: ban.event_id },
      { [member]: rejoin.event_id },
    );
    expect(out.get(member)).toBe(ban.event_id);
  });
});

describe('state resolution v1: other conflicts', () => {
  const topic = (id: string, sender: string, depth: number) =>
    mk(id, 'm.room.topic', sender, depth, { stateKey: '', content: { topic: id } });

  it('takes the deepest event the rules allow', async () => {
    const a = topic('$ta:example.com', ALICE, 10);
    const b = topic('$tb:example.com', BOB, 12);
    expect(
      (await resolve([a, b], { [TOPIC]: a.event_id }, { [TOPIC]: b.event_id })).get(TOPIC),
    ).toBe(b.event_id);
    // Charlie (0) may not set the topic (state_default 50): Alice's shallower one stands.
    const c = topic('$tc:example.com', CHARLIE, 14);
    expect(
      (await resolve([a, c], { [TOPIC]: a.event_id }, { [TOPIC]: c.event_id })).get(TOPIC),
    ).toBe(a.event_id);
  });

  it('breaks a tie of depth by the lowest sha1(event_id)', async () => {
    const x = topic('$x:example.com', ALICE, 10);
    const y = topic('$y:example.com', ALICE, 10);
    const lowest = sha1(x.event_id) < sha1(y.event_id) ? x : y;
    expect(
      (await resolve([x, y], { [TOPIC]: x.event_id }, { [TOPIC]: y.event_id })).get(TOPIC),
    ).toBe(lowest.event_id);
  });

  it('when the rules allow none, takes the shallowest (the last tried, as Synapse)', async () => {
    const c1 = topic('$c1:example.com', CHARLIE, 10);
    const c2 = topic('$c2:example.com', CHARLIE, 12);
    expect(
      (await resolve([c1, c2], { [TOPIC]: c1.event_id }, { [TOPIC]: c2.event_id })).get(TOPIC),
    ).toBe(c1.event_id);
  });
});
