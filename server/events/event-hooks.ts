import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import type { Pdu } from './event-format.js';
import type { RoomVersion } from './room-versions.js';
import type { StateMap } from './state-map.js';

/**
 * What other domains keep beside each persisted event (relations, the search index, push
 * actions for unread counts) is written by hooks that run inside the event's own writer
 * unit, after its row is inserted: the event and everything derived from it commit
 * together or not at all. The events domain knows only this interface; the composition
 * root (server/context.ts) lists the hooks, so dependencies still run one way.
 *
 * A hook must be quick (it holds the writer) and must not throw for well-formed events of
 * any content: content is untrusted, and a throw refuses the event.
 */
export interface PersistedEventInfo {
  eventId: string;
  roomId: string;
  streamOrdering: number;
  pdu: Pdu;
  version: RoomVersion;
  /** The room state after this event (includes it when it is a state event). */
  stateAfter: StateMap;
  /**
   * For an event of another server handed to this one to pass on (send_join, send_leave,
   * send_knock): the server it came from, which has it already; the room's other servers
   * hear of it from this one (the federation sender's hook queues it).
   */
  relayedFrom?: string;
}

export type EventHook = (ctx: Ctx, tx: Tx, ev: PersistedEventInfo) => Promise<void>;

/** Runs every hook of the context for one event, in order. */
export async function runEventHooks(ctx: Ctx, tx: Tx, ev: PersistedEventInfo): Promise<void> {
  for (const hook of ctx.eventHooks) await hook(ctx, tx, ev);
}
