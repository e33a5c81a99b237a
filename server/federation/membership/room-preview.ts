import type { Ctx } from '../../context.js';
import type { Pdu } from '../../events/event-format.js';
import * as events from '../../events/store.js';

/**
 * The state an invitee or a knocker is shown before joining: invite_room_state of
 * /invite and knock_room_state of /send_knock (server-server "Inviting to a room",
 * "Knocking upon a room"; client-server "Stripped state"). Since spec v1.16 these are full
 * PDUs and must hold the create event; the receiving server strips them for its clients.
 */

/** The state types shown (Synapse's default room_prejoin_state, create first). */
const PREVIEW_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.topic',
];

/**
 * The room's current state events of the preview types, and `member`'s member event
 * (the inviter's, so the invitee sees who invited them), as full PDUs.
 */
export async function roomPreviewState(ctx: Ctx, roomId: string, member?: string): Promise<Pdu[]> {
  const out: Pdu[] = [];
  const keys: [string, string][] = PREVIEW_TYPES.map((t) => [t, '']);
  if (member) keys.push(['m.room.member', member]);
  for (const [type, stateKey] of keys) {
    const row = await events.getCurrentStateEventJson(ctx.db, roomId, type, stateKey);
    if (row) out.push(JSON.parse(row.json) as Pdu);
  }
  return out;
}
