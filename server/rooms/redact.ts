import type { Requester } from '../accounts/requester.js';
import { errors } from '../core/errors.js';
import type { Ctx } from '../context.js';
import type { Queryable } from '../db/sql.js';
import type { AuthEvent } from '../events/auth/check.js';
import { currentPowerLevels, userLevel } from '../events/auth/power-levels.js';
import { domainOf } from '../events/auth/types.js';
import type { EventHook } from '../events/event-hooks.js';
import { sendLocalEvent } from '../events/persist.js';
import { forgetPushActionsOfRedacted } from '../push/redactions.js';
import type { RoomVersion } from '../events/room-versions.js';
import { stateKeyId, type StateMap } from '../events/state-map.js';
import * as events from '../events/store.js';
import { membershipOf } from './room-state.js';
import * as store from './timeline-store.js';
import { openRoomView } from './visibility.js';

/**
 * Redactions (client-server API "Redactions", `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`;
 * rooms/v3 "Handling redactions"). The m.room.redaction event goes through the persist
 * path like any other (the auth rules decide whether it is accepted); the redaction then
 * takes effect on the target, which is served redacted from then on, only if the
 * redaction's sender has the `redact` power level or shares the target sender's server.
 */

/**
 * PUT /rooms/{roomId}/redact/{eventId}/{txnId}: idempotent per device and transaction id.
 * Throws 404 for an unknown room or an event the user cannot see, and 403 when the user is
 * not joined or redacts someone else's event without the `redact` power level (as Synapse,
 * even though federation would let a same-server redaction apply).
 */
export async function redactRoomEvent(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; eventId: string; txnId: string; reason?: string | undefined },
): Promise<{ event_id: string }> {
  const view = await openRoomView(ctx, requester.userId, a.roomId);
  if ((await membershipOf(ctx, a.roomId, requester.userId)) !== 'join') {
    throw errors.forbidden(`You are not in room ${a.roomId}`);
  }
  const target = await store.getTimelineRow(ctx.db, a.roomId, a.eventId);
  if (!target || !(await view.canSee(target))) throw errors.notFound('Event not found');
  if (target.sender !== requester.userId) {
    const state = new Map(
      (await events.getCurrentState(ctx.db, a.roomId)).map((r) => [
        stateKeyId(r.type, r.state_key),
        r.event_id,
      ]),
    );
    if (!(await hasRedactPower(ctx.db, state, view.version, requester.userId))) {
      throw errors.forbidden("You don't have permission to redact events sent by others");
    }
  }
  const redaction = {
    roomId: a.roomId,
    type: 'm.room.redaction',
    sender: requester.userId,
    content: a.reason !== undefined ? { reason: a.reason } : {},
    redacts: a.eventId,
  };
  const sent = await sendLocalEvent(ctx, {
    ...redaction,
    txn: { deviceId: requester.deviceId, scope: `redact/${a.roomId}/${a.eventId}`, txnId: a.txnId },
  });
  return { event_id: sent.eventId };
}

/**
 * The event hook that makes an m.room.redaction take effect, in the redaction's own
 * transaction (so a redaction is never stored without being applied): marks its target,
 * an event of the same room, redacted if the rules of rooms/v3 "Handling redactions" allow
 * it, and drops the target's push actions (unread counts). Does nothing for other events,
 * unknown targets, or redactions that may not apply.
 * Reads go through `tx`: the target or the power levels may be in this very batch.
 */
export const applyRedactionHook: EventHook = async (ctx, tx, ev) => {
  const { pdu } = ev;
  if (pdu.type !== 'm.room.redaction') return;
  // v11+ moved `redacts` into the content (clients may then redact through /send too).
  const targetId = ev.version.updatedRedactionRules ? pdu.content.redacts : pdu.redacts;
  if (typeof targetId !== 'string') return;
  const target = await store.getTimelineRow(tx, ev.roomId, targetId);
  if (!target) return;
  const sameServer = domainOf(target.sender) === domainOf(pdu.sender);
  if (!sameServer && !(await hasRedactPower(tx, ev.stateAfter, ev.version, pdu.sender))) return;
  await store.markRedacted(tx, targetId, ev.eventId);
  // A redacted event no longer counts as unread for anyone.
  await forgetPushActionsOfRedacted(ctx, tx, ev.roomId, targetId);
};

/** Whether `userId` has the room's `redact` power level in `state`. */
async function hasRedactPower(
  q: Queryable,
  state: StateMap,
  version: RoomVersion,
  userId: string,
): Promise<boolean> {
  const ids = ['m.room.power_levels', 'm.room.create'].flatMap((t) => {
    const id = state.get(stateKeyId(t, ''));
    return id ? [id] : [];
  });
  const loaded = await events.getEventJsonMany(q, ids);
  const byType = new Map<string, AuthEvent>();
  for (const json of loaded.values()) {
    const e = JSON.parse(json) as AuthEvent;
    byType.set(e.type, e);
  }
  const pl = currentPowerLevels(
    (type, key) => (key === '' ? byType.get(type) : undefined),
    version,
  );
  return userLevel(pl, userId) >= pl.levels.redact;
}
