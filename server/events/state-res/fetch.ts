import type { Queryable } from '../../db/sql.js';
import { referencedEventIds } from '../event-format.js';
import { isRejectedReason } from '../store.js';
import * as store from './store.js';
import type { StateResEvent, StateResFetch } from './types.js';

/**
 * A fetch over events held in memory (tests; states received from another server before
 * their events are stored): auth chains by walking auth_events.
 */
export function memoryFetch(events: ReadonlyMap<string, StateResEvent>): StateResFetch {
  return {
    events(ids) {
      const out = new Map<string, StateResEvent>();
      for (const id of ids) {
        const e = events.get(id);
        if (e) out.set(id, e);
      }
      return Promise.resolve(out);
    },
    authChain(ids) {
      return walkAuthChain(ids, (frontier) => {
        const next = new Map<string, readonly string[]>();
        for (const id of frontier) {
          const e = events.get(id);
          if (e) next.set(id, referencedEventIds(e.auth_events));
        }
        return Promise.resolve(next);
      });
    },
  };
}

/**
 * A fetch over the database, with `extra` events (not stored yet) looked up first. Auth
 * chains come from the auth-chain index where events have one (one query for all of a
 * state's events, however many); the chains of events without one (memory events,
 * events stored without their chain) are walked through their auth_events, and the walk
 * joins the index again at the first indexed event.
 */
export function storeFetch(
  q: Queryable,
  extra: ReadonlyMap<string, StateResEvent> = new Map(),
  /**
   * How a stored event's JSON becomes its PDU: JSON.parse, or a shared cache of parsed
   * PDUs (events/event-cache.ts pduOf: the auth events of a room are read for every event
   * of it). The result is never changed here.
   */
  parse: (eventId: string, json: string) => unknown = (_id, json) => JSON.parse(json),
): StateResFetch {
  const events = async (ids: readonly string[]): Promise<Map<string, StateResEvent>> => {
    const out = new Map<string, StateResEvent>();
    const stored: string[] = [];
    for (const id of ids) {
      const e = extra.get(id);
      if (e) out.set(id, e);
      else stored.push(id);
    }
    for (const row of await store.getEventsWithRejection(q, stored)) {
      const parsed = parse(row.event_id, row.json) as StateResEvent;
      out.set(row.event_id, {
        ...parsed,
        event_id: row.event_id,
        ...(isRejectedReason(row.rejected_reason) ? { rejected: true } : {}),
      });
    }
    return out;
  };

  const authChain = async (ids: readonly string[]): Promise<Set<string>> => {
    const chain = new Set<string>();
    const done = new Set<string>();
    let frontier = [...new Set(ids)];
    for (const id of frontier) done.add(id);
    while (frontier.length) {
      const next: string[] = [];
      const reach = (a: string) => {
        chain.add(a);
        if (!done.has(a)) {
          done.add(a);
          next.push(a);
        }
      };
      const stored = frontier.filter((id) => !extra.has(id));
      const indexed = await store.getIndexedAuthChains(q, stored);
      const toWalk = frontier.filter((id) => !indexed.indexed.has(id));
      // An indexed chain is complete if the events in it were indexed when it was written;
      // those that were not (stored without their chain) are walked from here.
      const fresh: string[] = [];
      for (const c of indexed.chain) {
        chain.add(c);
        if (!done.has(c)) {
          done.add(c);
          fresh.push(c);
        }
      }
      const freshIndexed = await store.getIndexedIds(q, fresh);
      for (const c of fresh) if (!freshIndexed.has(c)) toWalk.push(c);
      for (const list of (await authIdsOf(toWalk)).values()) list.forEach(reach);
      frontier = next;
    }
    return chain;
  };

  /** Auth event ids of events without an indexed chain: memory, then event_auth, then JSON. */
  const authIdsOf = async (ids: readonly string[]): Promise<Map<string, readonly string[]>> => {
    const out = new Map<string, readonly string[]>();
    const stored: string[] = [];
    for (const id of ids) {
      const e = extra.get(id);
      if (e) out.set(id, referencedEventIds(e.auth_events));
      else stored.push(id);
    }
    const edges = await store.getAuthEdges(q, stored);
    for (const [id, list] of edges) out.set(id, list);
    const noEdges = stored.filter((id) => !edges.has(id));
    for (const [id, e] of await events(noEdges)) out.set(id, referencedEventIds(e.auth_events));
    return out;
  };

  return { events, authChain };
}

/**
 * The union of the auth chains of `ids`, walked breadth first: `authIdsOf` gives the auth
 * event ids of a frontier of events (those it knows).
 */
async function walkAuthChain(
  ids: readonly string[],
  authIdsOf: (frontier: readonly string[]) => Promise<Map<string, readonly string[]>>,
): Promise<Set<string>> {
  const chain = new Set<string>();
  const done = new Set(ids);
  let frontier = [...done];
  while (frontier.length) {
    const next: string[] = [];
    for (const list of (await authIdsOf(frontier)).values()) {
      for (const a of list) {
        chain.add(a);
        if (!done.has(a)) {
          done.add(a);
          next.push(a);
        }
      }
    }
    frontier = next;
  }
  return chain;
}
