import type { Pdu } from './event-format.js';

/**
 * An event as clients see it (spec client-server "Room Event Format", ClientEvent): the
 * federation-only keys dropped, `unsigned.age` computed now, and `redacts` at the top
 * level for m.room.redaction in every room version (v11 moved it into content; clients
 * read both).
 */
export interface ClientEvent {
  content: Record<string, unknown>;
  event_id: string;
  origin_server_ts: number;
  room_id: string;
  sender: string;
  state_key?: string;
  type: string;
  redacts?: string;
  unsigned: Record<string, unknown>;
}

export function toClientEvent(
  pdu: Pdu,
  ids: { eventId: string; roomId: string },
  opts: { now: number; transactionId?: string | undefined },
): ClientEvent {
  const redacts =
    pdu.type === 'm.room.redaction'
      ? (pdu.redacts ?? (typeof pdu.content.redacts === 'string' ? pdu.content.redacts : undefined))
      : undefined;
  return {
    content: pdu.content,
    event_id: ids.eventId,
    origin_server_ts: pdu.origin_server_ts,
    room_id: ids.roomId,
    sender: pdu.sender,
    type: pdu.type,
    ...(pdu.state_key !== undefined ? { state_key: pdu.state_key } : {}),
    ...(redacts !== undefined ? { redacts } : {}),
    unsigned: {
      age: Math.max(0, opts.now - pdu.origin_server_ts),
      ...(opts.transactionId !== undefined ? { transaction_id: opts.transactionId } : {}),
    },
  };
}
