/**
 * The EDUs Hearth sends (spec: server-server API, "EDUs" and the sections of each type),
 * each with its coalesce key: a queued EDU with the same type and key is replaced by a newer
 * one while no transaction holds it yet. Typing, presence and receipts only matter in their
 * latest form; to-device messages, device list updates and signing key updates have no key
 * and are never replaced or dropped.
 */

export interface OutgoingEdu {
  eduType: string;
  content: Record<string, unknown>;
  /** null: never replaced. */
  coalesceKey: string | null;
}

/** m.typing: one user's typing state in one room. */
export function typingEdu(a: { roomId: string; userId: string; typing: boolean }): OutgoingEdu {
  return {
    eduType: 'm.typing',
    content: { room_id: a.roomId, user_id: a.userId, typing: a.typing },
    coalesceKey: JSON.stringify([a.roomId, a.userId]),
  };
}

export interface PresenceUpdate {
  userId: string;
  presence: 'online' | 'unavailable' | 'offline';
  statusMsg?: string | undefined;
  /** When the user was last active; sent as last_active_ago, worked out when sent. */
  lastActiveTs?: number | undefined;
  currentlyActive?: boolean | undefined;
}

/**
 * m.presence with one user's state. The queue sends every user's queued presence of a
 * transaction as one m.presence EDU (its `push` list), as Synapse does.
 */
export function presenceEdu(p: PresenceUpdate): OutgoingEdu {
  return {
    eduType: 'm.presence',
    content: {
      push: [
        {
          user_id: p.userId,
          presence: p.presence,
          ...(p.statusMsg !== undefined ? { status_msg: p.statusMsg } : {}),
          ...(p.lastActiveTs !== undefined ? { last_active_ts: p.lastActiveTs } : {}),
          ...(p.currentlyActive !== undefined ? { currently_active: p.currentlyActive } : {}),
        },
      ],
    },
    coalesceKey: p.userId,
  };
}

/** m.receipt: one user's receipt of one type in one room (and thread). */
export function receiptEdu(a: {
  roomId: string;
  receiptType: string;
  userId: string;
  eventIds: string[];
  ts: number;
  threadId?: string | undefined;
}): OutgoingEdu {
  const data: Record<string, unknown> = { ts: a.ts };
  if (a.threadId !== undefined) data.thread_id = a.threadId;
  return {
    eduType: 'm.receipt',
    content: { [a.roomId]: { [a.receiptType]: { [a.userId]: { event_ids: a.eventIds, data } } } },
    coalesceKey: JSON.stringify([a.roomId, a.receiptType, a.userId, a.threadId ?? null]),
  };
}

/** m.direct_to_device: messages from one local user to devices of one destination's users. */
export function toDeviceEdu(a: {
  sender: string;
  type: string;
  messageId: string;
  /** user id -> device id (or "*") -> message content */
  messages: Record<string, Record<string, Record<string, unknown>>>;
}): OutgoingEdu {
  return {
    eduType: 'm.direct_to_device',
    content: { sender: a.sender, type: a.type, message_id: a.messageId, messages: a.messages },
    coalesceKey: null,
  };
}

/** m.device_list_update: its content as the spec defines it (user_id, device_id, stream_id, ...). */
export function deviceListUpdateEdu(content: Record<string, unknown>): OutgoingEdu {
  return { eduType: 'm.device_list_update', content, coalesceKey: null };
}

/** m.signing_key_update: its content as the spec defines it (user_id, master_key, ...). */
export function signingKeyUpdateEdu(content: Record<string, unknown>): OutgoingEdu {
  return { eduType: 'm.signing_key_update', content, coalesceKey: null };
}
