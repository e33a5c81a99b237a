import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { relationOf } from './relates-to.js';
import * as store from './store.js';

/**
 * Throws 400 M_UNKNOWN when `content` starts or continues a thread (rel_type m.thread) from
 * an event that itself has a relation: spec "Threading", "Validation of m.thread
 * relationships" (servers SHOULD reject it; no specific errcode exists, so M_UNKNOWN).
 * A relation is what the relations index holds, as in Synapse: a rich reply
 * (`m.in_reply_to` alone) is none, so a reply may be a thread root; a redacted event has
 * lost its relation.
 */
export async function assertThreadRootAllowed(
  ctx: Ctx,
  roomId: string,
  content: unknown,
): Promise<void> {
  const rel = relationOf(content);
  if (rel?.relType !== 'm.thread') return;
  if (await store.hasLiveRelation(ctx.db, roomId, rel.eventId)) {
    throw errors.unknown('Cannot start a thread from an event that has a relation');
  }
}
