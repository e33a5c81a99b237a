import type { AuthEvent } from '../auth/types.js';
import type { EventReferences } from '../event-format.js';

/**
 * An event as state resolution reads it: the fields the auth rules read, plus those the
 * orderings read (spec rooms/v1 and v2 "State resolution"). A stored PDU with its id is one.
 */
export interface StateResEvent extends AuthEvent {
  event_id: string;
  origin_server_ts: number;
  /** v1 orders by depth. */
  depth: number;
  /** Plain ids (v3+) or `[event_id, hashes]` pairs (v1, v2). */
  auth_events: EventReferences;
  /**
   * Rejected when it was received (failed the auth rules): never admitted into the resolved
   * state, and never used as an auth event (rooms/v2 "Rejected events").
   */
  rejected?: boolean;
}

/**
 * Where state resolution reads events and auth chains from: the database (storeFetch, with
 * the auth-chain index), memory (memoryFetch), or both.
 */
export interface StateResFetch {
  /** The events with these ids; ids it does not know are left out of the map. */
  events(ids: readonly string[]): Promise<Map<string, StateResEvent>>;
  /**
   * The union of the auth chains of these events (every event reachable through
   * auth_events, the events themselves not included unless reachable from another).
   */
  authChain(ids: readonly string[]): Promise<Set<string>>;
}
