/**
 * Rooms as DAGs for the state resolution tests, built the way the published state
 * resolution v2 test cases (Synapse's tests/state/test_v2.py, ruma's state-res tests) build
 * theirs: a few initial events (create, Alice's join, power levels, public join rules, Bob,
 * Charlie and Zara joining, then START), then each case's events along forks from START to
 * END. Every event's state before it is the resolution of its prev events' states (our
 * resolver); its auth_events are picked from that state by the auth events selection; its
 * origin_server_ts is its position in the list. The state of the room at END is the result.
 */
import { authEventsNeeded } from '../../../server/events/auth/check.js';
import type { RoomVersion } from '../../../server/events/room-versions.js';
import { stateKeyId } from '../../../server/events/state-map.js';
import {
  memoryFetch,
  resolveStateGroups,
  type StateResEvent,
} from '../../../server/events/state-res/index.js';

export const ALICE = '@alice:example.com';
export const BOB = '@bob:example.com';
export const CHARLIE = '@charlie:example.com';
export const EVELYN = '@evelyn:example.com';
export const ZARA = '@zara:example.com';

export interface NodeSpec {
  id: string;
  sender: string;
  type: string;
  stateKey?: string;
  content?: Record<string, unknown>;
  /** Overrides the timestamp (default: the node's position in the list). */
  ts?: number;
  /** Marks the event rejected (as if it had failed the auth rules on receipt). */
  rejected?: boolean;
}

export const join = { membership: 'join' };

/** The initial events; `users` of the power levels leave out Alice in v12 (creators). */
export function initialEvents(v: RoomVersion): NodeSpec[] {
  return [
    {
      id: 'CREATE',
      sender: ALICE,
      type: 'm.room.create',
      stateKey: '',
      content: v.implicitRoomCreator ? {} : { creator: ALICE },
    },
    { id: 'IMA', sender: ALICE, type: 'm.room.member', stateKey: ALICE, content: join },
    {
      id: 'IPOWER',
      sender: ALICE,
      type: 'm.room.power_levels',
      stateKey: '',
      content: { users: levels(v, { [ALICE]: 100 }) },
    },
    {
      id: 'IJR',
      sender: ALICE,
      type: 'm.room.join_rules',
      stateKey: '',
      content: { join_rule: 'public' },
    },
    { id: 'IMB', sender: BOB, type: 'm.room.member', stateKey: BOB, content: join },
    { id: 'IMC', sender: CHARLIE, type: 'm.room.member', stateKey: CHARLIE, content: join },
    { id: 'IMZ', sender: ZARA, type: 'm.room.member', stateKey: ZARA, content: join },
    { id: 'START', sender: ZARA, type: 'm.room.message', content: {} },
    { id: 'END', sender: ZARA, type: 'm.room.message', content: {} },
  ];
}

export const INITIAL_EDGES = ['START', 'IMZ', 'IMC', 'IMB', 'IJR', 'IPOWER', 'IMA', 'CREATE'];

/** A `users` map of power levels, without Alice (the creator) in v12, where she may not be. */
export function levels(v: RoomVersion, users: Record<string, number>): Record<string, number> {
  if (!v.privilegedCreators) return users;
  const { [ALICE]: _creator, ...rest } = users;
  return rest;
}

export function eventId(node: string): string {
  return `$${node}:example.com`;
}

export function roomIdOf(v: RoomVersion): string {
  return v.roomIdFromCreateEvent ? `!CREATE:example.com` : '!room:example.com';
}

export interface Dag {
  v: RoomVersion;
  events: Map<string, StateResEvent>;
  /** The state after each node (its state before, plus itself if it is a state event). */
  stateAfter: Map<string, Map<string, string>>;
}

/**
 * Builds the room: `edges` are chains from the newest node back (["END", "B", "A", "START"]:
 * END follows B, which follows A, ...); the initial chain is added.
 */
export async function buildDag(
  v: RoomVersion,
  specs: readonly NodeSpec[],
  edges: readonly string[][],
): Promise<Dag> {
  const all = [...initialEvents(v), ...specs];
  const byNode = new Map(all.map((s, i) => [s.id, { ...s, ts: s.ts ?? i }]));
  const prevs = new Map<string, string[]>();
  for (const chain of [INITIAL_EDGES, ...edges]) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const list = prevs.get(chain[i]!) ?? [];
      if (!list.includes(chain[i + 1]!)) list.push(chain[i + 1]!);
      prevs.set(chain[i]!, list);
    }
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const p of prevs.get(n) ?? []) visit(p);
    order.push(n);
  };
  for (const n of byNode.keys()) if (prevs.has(n) || n === 'CREATE') visit(n);

  const events = new Map<string, StateResEvent>();
  const stateAfter = new Map<string, Map<string, string>>();
  const depth = new Map<string, number>();
  const pairs = v.eventIdFormat === 'server';
  const ref = (id: string) => (pairs ? [id, { sha256: 'x' }] : id);
  for (const node of order) {
    const spec = byNode.get(node);
    if (!spec) throw new Error(`no event ${node}`);
    const prevNodes = prevs.get(node) ?? [];
    const before =
      prevNodes.length === 0
        ? new Map<string, string>()
        : await resolveStateGroups(
            v,
            prevNodes.map((p) => stateAfter.get(p)!),
            memoryFetch(events),
          );
    const isCreate = spec.type === 'm.room.create';
    const draft: StateResEvent = {
      event_id: eventId(node),
      type: spec.type,
      sender: spec.sender,
      content: spec.content ?? {},
      origin_server_ts: spec.ts,
      depth: Math.max(0, ...prevNodes.map((p) => depth.get(p)!)) + 1,
      prev_events: prevNodes.map((p) => ref(eventId(p))),
      auth_events: [],
      ...(isCreate && v.roomIdFromCreateEvent ? {} : { room_id: roomIdOf(v) }),
      ...(spec.stateKey === undefined ? {} : { state_key: spec.stateKey }),
      ...(spec.rejected ? { rejected: true } : {}),
    };
    const authIds = authEventsNeeded(draft, v)
      .map(([type, key]) => before.get(stateKeyId(type, key)))
      .filter((id): id is string => id !== undefined);
    draft.auth_events = authIds.map(ref) as StateResEvent['auth_events'];
    events.set(draft.event_id, draft);
    depth.set(node, draft.depth);
    const after = new Map(before);
    if (spec.stateKey !== undefined && !spec.rejected) {
      after.set(stateKeyId(spec.type, spec.stateKey), draft.event_id);
    }
    stateAfter.set(node, after);
  }
  return { v, events, stateAfter };
}

/**
 * What the published cases compare: the state at END restricted to the keys of the
 * expected events and the keys that changed since START, as `type|state_key -> node`.
 */
export function endStateDiff(dag: Dag, expectedNodes: readonly string[]): Record<string, string> {
  return diffAgainstStart(dag, dag.stateAfter.get('END')!, expectedNodes);
}

export function diffAgainstStart(
  dag: Dag,
  state: ReadonlyMap<string, string>,
  expectedNodes: readonly string[],
): Record<string, string> {
  const keys = new Set(
    expectedNodes.map((n) => {
      const e = dag.events.get(eventId(n))!;
      return stateKeyId(e.type, e.state_key!);
    }),
  );
  const start = dag.stateAfter.get('START')!;
  const out: Record<string, string> = {};
  for (const [key, id] of state) {
    if (keys.has(key) || start.get(key) !== id) out[key.replace('\u0000', '|')] = nodeOf(id);
  }
  return out;
}

/** The expected diff: each node's key -> node. */
export function expectedDiff(dag: Dag, nodes: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of nodes) {
    const e = dag.events.get(eventId(n))!;
    out[`${e.type}|${e.state_key}`] = n;
  }
  return out;
}

export function nodeOf(id: string): string {
  return id.slice(1, id.indexOf(':'));
}
