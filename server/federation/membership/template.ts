import { settleRoomWrites } from '../../events/room-heads.js';
import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { authEventsNeeded, checkEventAuth, type AuthEvent } from '../../events/auth/check.js';
import type { EventDraft, EventRef } from '../../events/build.js';
import { parsedStateEvents } from '../../events/room-heads.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { loadStateGroup } from '../../events/state-groups.js';
import { stateKeyId } from '../../events/state-map.js';

/**
 * Drafts of membership events on a room's current head: for make_leave / make_knock (the
 * template another server signs) and for an invite this server sends to another server
 * before persisting it. The head is read in the room's queue after the writer's pending
 * units, so every prev and auth event named is committed.
 */

export interface HeadDraft {
  version: RoomVersion;
  draft: EventDraft;
  /** The authorization verdict of the draft against the room's current state. */
  verdict: { ok: true } | { ok: false; reason: string; rule: string };
}

/**
 * A draft of an m.room.member event on the room's current state (prev events: its forward
 * extremities; auth events as "Auth events selection" picks them), with the auth rules'
 * verdict on it (the signature is not made yet, so a rule that reads signatures sees none).
 * @throws MatrixError 404 M_NOT_FOUND when the room is unknown here.
 */
export async function draftMemberEvent(
  ctx: Ctx,
  a: { roomId: string; sender: string; target: string; content: Record<string, unknown> },
): Promise<HeadDraft> {
  return ctx.roomQueue.run(a.roomId, async () => {
    await settleRoomWrites(ctx.roomHeads, ctx.writer, a.roomId);
    const head = await ctx.roomHeads.get(ctx.db, a.roomId, (g) => loadStateGroup(ctx, g));
    const { version, state } = head;
    const event: AuthEvent = {
      type: 'm.room.member',
      sender: a.sender,
      state_key: a.target,
      content: a.content,
      room_id: a.roomId,
    };
    const authIds = authEventsNeeded(event, version)
      .map(([type, key]) => state.get(stateKeyId(type, key)))
      .filter((id): id is string => id !== undefined);
    const createId = state.get(stateKeyId('m.room.create', ''));
    const parsed = await parsedStateEvents(
      ctx.db,
      head,
      createId ? [createId, ...authIds] : authIds,
    );
    const byKey = new Map<string, AuthEvent>();
    for (const { event: e } of parsed.values()) byKey.set(stateKeyId(e.type, e.state_key ?? ''), e);
    const verdict = checkEventAuth(event, (t, k) => byKey.get(stateKeyId(t, k)), version);
    const authEvents: EventRef[] = authIds.map((id) => ({
      eventId: id,
      sha256: parsed.get(id)!.sha256,
    }));
    return {
      version,
      draft: {
        type: 'm.room.member',
        stateKey: a.target,
        sender: a.sender,
        content: a.content,
        roomId: a.roomId,
        prevEvents: [...head.prevEvents],
        authEvents,
        depth: head.depth + 1,
        originServerTs: ctx.clock.now(),
      },
      verdict: verdict.ok
        ? { ok: true }
        : { ok: false, reason: verdict.reason, rule: verdict.rule },
    };
  });
}

/** 403 M_FORBIDDEN naming the rule, unless the draft passed the auth rules. */
export function assertDraftAllowed(d: HeadDraft): void {
  if (!d.verdict.ok) {
    throw new MatrixError(
      'M_FORBIDDEN',
      `${d.verdict.reason} (authorization rule ${d.verdict.rule})`,
      403,
    );
  }
}

/**
 * The unsigned template of make_leave / make_knock (leaving-v1.yaml, knocks.yaml): the
 * PDU fields of the room's version without hashes and signatures (and, in v1/v2, with the
 * event id left to the server that signs it). `origin` is this, the resident, server.
 */
export function templateJson(ctx: Ctx, d: HeadDraft): Record<string, unknown> {
  const { version, draft } = d;
  const refs = (rs: EventRef[]) =>
    version.eventIdFormat === 'server'
      ? rs.map((r) => [r.eventId, { sha256: r.sha256 }])
      : rs.map((r) => r.eventId);
  return {
    type: draft.type,
    room_id: draft.roomId,
    sender: draft.sender,
    state_key: draft.stateKey,
    content: draft.content,
    origin: ctx.config.serverName,
    origin_server_ts: draft.originServerTs,
    depth: draft.depth,
    prev_events: refs(draft.prevEvents),
    auth_events: refs(draft.authEvents),
  };
}

/** 404 M_NOT_FOUND: the room is not known here. */
export function unknownRoom(roomId: string): MatrixError {
  return errors.notFound(`Unknown room ${roomId}`);
}
