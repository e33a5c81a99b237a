import { errors } from '../core/errors.js';
import type { Queryable } from '../db/sql.js';
import type { AuthEvent } from './auth/types.js';
import type { EventRef } from './build.js';
import type { Pdu } from './event-format.js';
import { roomVersion, type RoomVersion } from './room-versions.js';
import { resolveStateGroups, storeFetch } from './state-res/index.js';
import type { StateMap } from './state-map.js';
import * as store from './store.js';
import { deleteOldest } from '../core/map-order.js';

/**
 * A room's head: what the next local event builds on (its forward extremity, depth and
 * the state after it) and the state events the auth rules have read, parsed once.
 *
 * Why in memory: the persist path pipelines a room's events. An event advances the head
 * when it is built and its writer unit queued, and the room's queue is released then, well
 * before the commit, so the room's next events can join the same commit
 * (docs/events-design.md, "Throughput"). Those next events cannot read their prev event
 * from the read connection (not committed yet), so they build on the head.
 *
 * Failure: heads built one on another share a lineage. When a unit fails (or its commit
 * does), its lineage is lost: every later unit of that lineage refuses to run (its prev
 * event was never written; the client retries), and the room's head is dropped, to be
 * reloaded from the database once the failed batch has settled (then every good unit
 * before the failure is committed, and every unit after it is doomed).
 */
export interface RoomHead {
  roomId: string;
  version: RoomVersion;
  /**
   * The forward extremities, with their content hashes (for the v1/v2 reference format):
   * the prev events of the next event. One, but after events from other servers forked
   * the room (then the next local event merges the forks).
   */
  prevEvents: EventRef[];
  /** The greatest depth among them. */
  depth: number;
  /**
   * The state after them (their states resolved, when several), and that state's group:
   * known once the unit of the event that made the head has run; for a resolved state,
   * written by the unit of the next event, as a delta over `mergeBase`.
   */
  stateGroup: number | undefined;
  state: StateMap;
  /** For a resolved state not written yet: the stored group it is written over. */
  mergeBase?: { groupId: number; state: StateMap };
  /** Shared by heads built one on another since the last load; see above. */
  lineage: { lost: boolean };
  /** State events (by id) with their content hashes, parsed once; shared along a room. */
  parsed: Map<string, ParsedStateEvent>;
  /** Set once the commit holding the event that made this head succeeded. */
  committed: boolean;
}

export interface ParsedStateEvent {
  event: AuthEvent;
  sha256: string;
}

/** The most prev events a local event has (spec: 20 at most; Synapse picks 10). */
export const MAX_PREV_EVENTS = 10;
/** The most heads kept for rooms with nothing pending; a room rebuilds its head on demand. */
const MAX_IDLE_HEADS = 512;
/** The most parsed state events one head keeps (big rooms re-read members beyond this). */
const MAX_PARSED_PER_ROOM = 4096;

export class RoomHeads {
  private readonly heads = new Map<string, RoomHead>();

  /** The room's current head, without loading it. */
  peek(roomId: string): RoomHead | undefined {
    return this.heads.get(roomId);
  }

  /**
   * The room's head, loaded from the database when absent. Call inside the room's queue.
   * @throws MatrixError 404 M_NOT_FOUND for an unknown room.
   */
  async get(db: Queryable, roomId: string, loadState: (group: number) => Promise<StateMap>) {
    const cached = this.heads.get(roomId);
    if (cached) {
      // Most recently used last, so eviction drops the idle ones first.
      this.heads.delete(roomId);
      this.heads.set(roomId, cached);
      return cached;
    }
    const room = await store.getRoom(db, roomId);
    if (!room) throw errors.notFound(`Unknown room ${roomId}`);
    const version = roomVersion(room.room_version);
    if (!version) throw new Error(`room ${roomId} has unknown version ${room.room_version}`);
    const extremities = await store.getForwardExtremities(db, roomId);
    if (!extremities.length) throw new Error(`room ${roomId} has no forward extremity`);
    // The deepest first; a local event refers to MAX_PREV_EVENTS of them at most, and
    // merges the rest later.
    const rows = (await Promise.all(extremities.map((id) => store.getEventRow(db, id))))
      .filter((r) => r !== undefined)
      .sort((a, b) => b.depth - a.depth || (a.event_id < b.event_id ? -1 : 1))
      .slice(0, MAX_PREV_EVENTS);
    const jsons = await store.getEventJsonMany(
      db,
      rows.map((r) => r.event_id),
    );
    const states = await Promise.all(rows.map((r) => loadState(r.state_group!)));
    const merged =
      rows.length === 1 ? states[0]! : await resolveStateGroups(version, states, storeFetch(db));
    const head: RoomHead = {
      roomId,
      version,
      prevEvents: rows.map((r) => ({
        eventId: r.event_id,
        sha256: (JSON.parse(jsons.get(r.event_id)!) as Pdu).hashes.sha256,
      })),
      depth: rows[0]!.depth,
      stateGroup: rows.length === 1 ? rows[0]!.state_group! : undefined,
      ...(rows.length === 1
        ? {}
        : { mergeBase: { groupId: rows[0]!.state_group!, state: states[0]! } }),
      state: merged,
      lineage: { lost: false },
      parsed: new Map(),
      committed: true,
    };
    this.set(head);
    return head;
  }

  /** Makes `head` the room's head (the writer unit's last step). */
  set(head: RoomHead): void {
    this.heads.delete(head.roomId);
    this.heads.set(head.roomId, head);
    if (this.heads.size > MAX_IDLE_HEADS) this.evictIdle();
  }

  /**
   * Marks the lineage of `head` lost and forgets the room's head if it belongs to it; the
   * next event reloads the head from the database. Call once the failed batch has settled.
   */
  drop(head: RoomHead): void {
    head.lineage.lost = true;
    if (this.heads.get(head.roomId)?.lineage === head.lineage) this.heads.delete(head.roomId);
  }

  /**
   * Forgets the room's head: call inside the room's queue once everything built on it is
   * committed and the database moved on without it (an event from another server).
   */
  forget(roomId: string): void {
    this.heads.delete(roomId);
  }

  /** Forgets every head (the database changed under them: tests, admin tools). */
  clear(): void {
    this.heads.clear();
  }

  private evictIdle(): void {
    for (const [roomId, head] of this.heads) {
      if (this.heads.size <= MAX_IDLE_HEADS) return;
      if (head.committed) this.heads.delete(roomId);
    }
  }
}

/**
 * The state events with these ids, parsed, from the head's cache or the database (state
 * events a head refers to are committed, or written by a unit that came before and cached).
 */
export async function parsedStateEvents(
  db: Queryable,
  head: RoomHead,
  ids: Iterable<string>,
): Promise<Map<string, ParsedStateEvent>> {
  const out = new Map<string, ParsedStateEvent>();
  const missing: string[] = [];
  for (const id of ids) {
    const hit = head.parsed.get(id);
    if (hit) {
      // Most recently used last: pending (uncommitted) events are never the oldest.
      head.parsed.delete(id);
      head.parsed.set(id, hit);
      out.set(id, hit);
    } else missing.push(id);
  }
  if (missing.length) {
    const loaded = await store.getEventJsonMany(db, missing);
    for (const id of missing) {
      const json = loaded.get(id);
      if (json === undefined) throw new Error(`state event ${id} is missing`);
      const pdu = JSON.parse(json) as Pdu;
      const parsed = {
        event: { ...(pdu as unknown as AuthEvent), event_id: id },
        sha256: pdu.hashes.sha256,
      };
      rememberParsed(head, id, parsed);
      out.set(id, parsed);
    }
  }
  return out;
}

/**
 * Keeps a parsed state event on the room's heads, dropping the least recently used beyond
 * the bound. The events of units not yet committed are the newest entries, and far fewer
 * than the bound (a commit holds at most a few hundred units), so they are never dropped:
 * the read connection could not load them.
 */
export function rememberParsed(head: RoomHead, id: string, parsed: ParsedStateEvent): void {
  if (head.parsed.size >= MAX_PARSED_PER_ROOM) {
    deleteOldest(head.parsed);
  }
  head.parsed.set(id, parsed);
}

/**
 * Waits, inside the room's queue, until the room's local events queued in the writer are
 * committed, so that reads of the database see the room as its head does (events persisted
 * for other servers, and templates for them, read the room from the database). Nothing is
 * pending when the room has no head or its head is committed (its unit came last): then no
 * writer round trip is made.
 */
export async function settleRoomWrites(
  heads: RoomHeads,
  writer: { transaction(name: string, fn: () => Promise<undefined>): Promise<undefined> },
  roomId: string,
): Promise<void> {
  const head = heads.peek(roomId);
  if (!head || head.committed) return;
  await writer.transaction('room_writes_barrier', async () => undefined);
}
