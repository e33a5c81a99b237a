import type { Ctx } from '../../context.js';
import type { Pdu } from '../../events/event-format.js';
import * as events from '../../events/store.js';
import { STRIPPED_TYPES } from '../../sync/sync-rooms.js';

/**
 * The state an invitee or a knocker is shown before joining: invite_room_state of
 * /invite and knock_room_state of /send_knock (server-server "Inviting to a room",
 * "Knocking upon a room"; client-server "Stripped state"). Since spec v1.16 these are full
 * PDUs and must hold the create event; the receiving server strips them for its clients.
 */

/**
 * The room's current state events of the preview types, and `member`'s member event
 * (the inviter's, so the invitee sees who invited them), as full PDUs.
 */
export async function roomPreviewState(ctx: Ctx, roomId: string, member?: string): Promise<Pdu[]> {
  const out: Pdu[] = [];
  const keys: [string, string][] = STRIPPED_TYPES.map((t) => [t, '']);
  if (member) keys.push(['m.room.member', member]);
  for (const [type, stateKey] of keys) {
    const row = await events.getCurrentStateEventJson(ctx.db, roomId, type, stateKey);
    if (row) out.push(JSON.parse(row.json) as Pdu);
  }
  return out;
}
