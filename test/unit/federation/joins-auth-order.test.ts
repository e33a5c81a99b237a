import { describe, expect, test } from 'vitest';
import type { Pdu } from '../../../server/events/event-format.js';
import { authOrder, type StoredEvent } from '../../../server/events/persist-join.js';

/**
 * The order a remote join stores the room's state and auth chain in
 * (server/events/persist-join.ts): every event after its auth events, whatever order the
 * resident server sent them in, because the auth-chain index copies the chains of the
 * auth events.
 */

const ev = (id: string, auth: string[]): StoredEvent => ({
  eventId: id,
  pdu: { auth_events: auth, type: 't', state_key: '' } as unknown as Pdu,
});

function assertOrdered(list: StoredEvent[]): void {
  const seen = new Set<string>();
  const ids = new Set(list.map((e) => e.eventId));
  for (const e of list) {
    for (const a of e.pdu.auth_events as string[]) if (ids.has(a)) expect(seen).toContain(a);
    seen.add(e.eventId);
  }
}

describe('authOrder', () => {
  const create = ev('$create', []);
  const member = ev('$member', ['$create']);
  const power = ev('$power', ['$create', '$member']);
  const rules = ev('$rules', ['$create', '$member', '$power']);
  const join = ev('$join', ['$create', '$power', '$rules', '$member']);

  test.each([
    ['already ordered', [create, member, power, rules, join]],
    ['reversed', [join, rules, power, member, create]],
    ['shuffled', [power, join, create, rules, member]],
  ])('%s: each event after its auth events, each once', (_, list) => {
    const out = authOrder(list);
    expect(out.map((e) => e.eventId).sort()).toEqual(list.map((e) => e.eventId).sort());
    assertOrdered(out);
  });

  test('auth events not in the list are taken as stored already', () => {
    const out = authOrder([ev('$b', ['$a', '$stored']), ev('$a', ['$stored'])]);
    expect(out.map((e) => e.eventId)).toEqual(['$a', '$b']);
  });

  test('a deep chain does not overflow the stack', () => {
    const chain: StoredEvent[] = [ev('$0', [])];
    for (let i = 1; i < 50_000; i++) chain.push(ev(`$${i}`, [`$${i - 1}`]));
    const out = authOrder(chain.reverse());
    expect(out[0]!.eventId).toBe('$0');
    expect(out.at(-1)!.eventId).toBe('$49999');
  });

  test('a cycle (only v1/v2 ids could make one) still ends', () => {
    const out = authOrder([ev('$x', ['$y']), ev('$y', ['$x'])]);
    expect(out).toHaveLength(2);
  });
});
