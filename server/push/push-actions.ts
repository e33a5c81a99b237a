import type { Ctx } from '../context.js';
import type { Tx } from '../db/sql.js';
import type { PersistedEventInfo } from '../events/event-hooks.js';
import { userLevel } from '../events/auth/power-levels.js';
import { pushCaches } from './push-caches.js';
import { roomPushFacts } from './room-facts.js';
import { getCachedRuleset } from './rules.js';
import { SharedPushEvaluation } from './shared-evaluation.js';
import * as store from './store.js';
import { countInsertedActions, forgetUserUnreadEntry } from './unread-cache.js';
import { directThreadOf, threadOf } from './thread.js';
import type { PushEvent } from './types.js';

/**
 * The push-actions event hook (server/events/event-hooks.ts): for each persisted event,
 * runs the push rules of every joined local member but the sender, and records the events
 * that notify them (client-server API, "Receiving notifications"); /sync counts those
 * after the user's read receipt (unread-counts.ts). The sender's own event marks their
 * thread read up to it ("Marking notifications as read": "by using the API or by sending
 * an event").
 *
 * It runs inside the writer for every event, so it stays cheap: rulesets (compiled) and
 * room facts come from caches without an await when they are there, the thread is looked
 * up only when someone is notified or the sender is local, and the notified users are
 * written by one prepared single-row INSERT each (store.ts says why not one statement).
 */

/** Records who an event notifies, and that its sender has read up to it. */
export async function recordPushActions(ctx: Ctx, tx: Tx, ev: PersistedEventInfo): Promise<void> {
  const { pdu, roomId } = ev;
  if (pdu.type === 'm.room.create') return; // nobody is in the room yet
  const caches = pushCaches(ctx);
  const cachedFacts = caches.rooms.get(roomId);
  const facts =
    cachedFacts?.state === ev.stateAfter
      ? cachedFacts
      : await roomPushFacts(ctx, tx, { roomId, state: ev.stateAfter, version: ev.version });
  const event: PushEvent = {
    type: pdu.type,
    sender: pdu.sender,
    room_id: roomId,
    content: pdu.content,
    ...(pdu.state_key !== undefined ? { state_key: pdu.state_key } : {}),
  };
  // Most events tell their thread themselves; only other relations need a lookup.
  let thread = directThreadOf(pdu.content) ?? undefined;
  let senderIsMember = false;
  const notified: store.PushActionRow[] = [];
  // What is the same for every member is worked out once per event (and, for members
  // whose rulesets share a shape, once per shape): see shared-evaluation.ts.
  const evaluation = new SharedPushEvaluation(event, {
    roomMemberCount: facts.joinedCount,
    powerLevels: facts.powerLevelsContent,
    senderPowerLevel: userLevel(facts.powerLevels, pdu.sender),
  });
  const displayName = (userId: string) => facts.members.get(userId)?.displayName ?? null;
  for (const userId of facts.localJoined) {
    if (userId === pdu.sender) {
      senderIsMember = true;
      continue;
    }
    const { compiled } = caches.rulesets.get(userId) ?? (await getCachedRuleset(ctx, userId));
    const outcome = evaluation.outcomeFor(userId, compiled, displayName);
    if (!outcome.notify) continue;
    thread ??= await threadOf(tx, pdu.content);
    notified.push({
      userId,
      threadId: thread,
      actionsJson: outcome.actionsJson,
      highlight: outcome.highlight,
    });
  }
  await store.insertPushActions(
    tx,
    { roomId, streamOrdering: ev.streamOrdering, eventId: ev.eventId },
    notified,
  );
  countInsertedActions(ctx, tx, { roomId, streamOrdering: ev.streamOrdering }, notified);
  if (senderIsMember) {
    thread ??= await threadOf(tx, pdu.content);
    forgetUserUnreadEntry(ctx, tx, roomId, pdu.sender);
    await store.deletePushActionsBefore(tx, {
      userId: pdu.sender,
      roomId,
      threadId: thread,
      streamOrdering: ev.streamOrdering,
    });
  }
}
