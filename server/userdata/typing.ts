import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import type { EventHook } from '../events/event-hooks.js';
import { assertJoined } from '../rooms/room-state.js';
import { sendTypingToServers } from '../federation/outgoing-edus.js';

/**
 * Typing notifications (spec: client-server API, "Typing Notifications"). Ephemeral: held
 * in memory with an expiry, never written to the database. Each change (start, stop,
 * expiry) takes the next position of a per-server typing stream, and a room's position is
 * that of its last change, so /sync sends a room's full typing list when it moved.
 *
 * The stream restarts at 0 with the server; a /sync token from before a restart may hold a
 * larger position, which the caller treats as 0 (the list is small and replaces the old).
 */

export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;
/** Longest a typing notice lasts without renewal (Synapse caps at the same 120 s). */
export const MAX_TYPING_TIMEOUT_MS = 120_000;

interface Typist {
  expiresAt: number;
  timer: NodeJS.Timeout;
}

class TypingState {
  /** room id -> user id -> until when they type */
  readonly rooms = new Map<string, Map<string, Typist>>();
  /** room id -> the stream position of its last change */
  readonly changedAt = new Map<string, number>();
  position = 0;

  constructor(private readonly ctx: Ctx) {}

  set(roomId: string, userId: string, timeoutMs: number | null): void {
    let users = this.rooms.get(roomId);
    const existing = users?.get(userId);
    if (existing) clearTimeout(existing.timer);
    if (timeoutMs === null) {
      if (!existing) return;
      users!.delete(userId);
      if (!users!.size) this.rooms.delete(roomId);
      return this.changed(roomId);
    }
    if (!users) this.rooms.set(roomId, (users = new Map()));
    users.set(userId, {
      expiresAt: this.ctx.clock.now() + timeoutMs,
      timer: this.timer(roomId, userId, timeoutMs),
    });
    // Renewing a notice that still runs changes nothing a client sees (as Synapse).
    if (!existing) this.changed(roomId);
  }

  /**
   * Expires a notice on time, so waiting /syncs learn of it. Timers may fire a little
   * early by the clock; a notice not yet due waits again for the rest of its time.
   */
  private timer(roomId: string, userId: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const t = this.rooms.get(roomId)?.get(userId);
      if (t?.timer !== timer) return;
      const left = t.expiresAt - this.ctx.clock.now();
      if (left > 0) t.timer = this.timer(roomId, userId, left);
      else this.expire(roomId);
    }, ms);
    timer.unref();
    return timer;
  }

  /** The users typing in a room now; drops (and announces) those whose time ran out. */
  expire(roomId: string): string[] {
    const users = this.rooms.get(roomId);
    if (!users) return [];
    const now = this.ctx.clock.now();
    let dropped = false;
    for (const [userId, t] of users) {
      if (t.expiresAt > now) continue;
      clearTimeout(t.timer);
      users.delete(userId);
      dropped = true;
    }
    if (!users.size) this.rooms.delete(roomId);
    if (dropped) this.changed(roomId);
    return [...users.keys()];
  }

  private changed(roomId: string): void {
    this.changedAt.set(roomId, ++this.position);
    this.ctx.notifier.notify([roomId]);
  }
}

/**
 * The typing state of each server, keyed by its context. Ctx has no field for it (typing
 * is the only in-memory stream, and its owner is this module), so it hangs off the ctx
 * here: a WeakMap keeps several servers in one process (tests) apart and lets a closed
 * server's state go with its ctx.
 */
const states = new WeakMap<Ctx, TypingState>();

function stateOf(ctx: Ctx): TypingState {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = new TypingState(ctx)));
  return s;
}

/**
 * PUT /rooms/{roomId}/typing/{userId}. Only for oneself (403) and members (403; 404 for
 * an unknown room). `timeout` defaults to 30 s and is capped at 120 s.
 */
export async function setTyping(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; userId: string; typing: boolean; timeoutMs?: number },
): Promise<Record<string, never>> {
  if (requester.userId !== a.userId)
    throw errors.forbidden("Cannot set another user's typing state");
  await assertJoined(ctx, requester.userId, a.roomId);
  const timeout = Math.min(a.timeoutMs ?? DEFAULT_TYPING_TIMEOUT_MS, MAX_TYPING_TIMEOUT_MS);
  stateOf(ctx).set(a.roomId, a.userId, a.typing ? timeout : null);
  // Other servers in the room hear of it too (they time it out on their own).
  sendTypingToServers(ctx, { roomId: a.roomId, userId: a.userId, typing: a.typing });
  return {};
}

/** How long a typing notice from another server lasts without renewal (Synapse: 60 s). */
export const REMOTE_TYPING_TIMEOUT_MS = 60_000;

/**
 * Typing of a user of another server (federation m.typing). The caller has checked that the
 * user belongs to the sending server and is joined to the room.
 */
export function setRemoteTyping(
  ctx: Ctx,
  a: { roomId: string; userId: string; typing: boolean },
): void {
  stateOf(ctx).set(a.roomId, a.userId, a.typing ? REMOTE_TYPING_TIMEOUT_MS : null);
}

/** Who is typing in a room now. */
export function currentTypingUsers(ctx: Ctx, roomId: string): string[] {
  return stateOf(ctx).expire(roomId);
}

/**
 * The typing stream's position once the notices that ran out in the rooms of `roomLists`
 * are dropped (an expiry is a change, as getTypingSince counts it): getTypingSince over
 * these rooms answers the same for as long as this does not move.
 */
export function typingPosition(ctx: Ctx, ...roomLists: readonly (readonly string[])[]): number {
  const s = stateOf(ctx);
  for (const roomIds of roomLists) for (const roomId of roomIds) s.expire(roomId);
  return s.position;
}

export interface TypingDelta {
  /** The stream position the delta reaches, for the next /sync token. */
  streamId: number;
  /** Per room whose typing list changed after `since`: the `m.typing` content. */
  rooms: Record<string, { user_ids: string[] }>;
}

/**
 * The rooms among `roomIds` whose typing list changed after position `since` (0: those
 * with anyone typing), each with its whole current list (clients replace theirs with it).
 */
export function getTypingSince(ctx: Ctx, roomIds: readonly string[], since: number): TypingDelta {
  const s = stateOf(ctx);
  // Expire first: an expiry is a change, and must count before the position is read.
  const lists = new Map(roomIds.map((r) => [r, s.expire(r)]));
  const from = since > s.position ? 0 : since;
  const delta: TypingDelta = { streamId: s.position, rooms: {} };
  for (const [roomId, userIds] of lists) {
    const at = s.changedAt.get(roomId) ?? 0;
    if (at > from && (from > 0 || userIds.length)) delta.rooms[roomId] = { user_ids: userIds };
  }
  return delta;
}

/**
 * The event hook that stops a member typing once they are no longer in the room (left,
 * kicked or banned), as Synapse does, so the others' /sync shows the shorter list at once
 * instead of when the notice times out. Runs after the commit: typing is in memory, and a
 * refused event must change nothing. Any path of the change counts (leave, kick, ban, a
 * member state event, federation).
 */
export const dropTypingOnLeave: EventHook = (ctx, tx, ev) => {
  const { pdu } = ev;
  if (pdu.type === 'm.room.member' && pdu.state_key && pdu.content.membership !== 'join') {
    const userId = pdu.state_key;
    tx.afterCommit(() => stateOf(ctx).set(ev.roomId, userId, null));
  }
  return Promise.resolve();
};
