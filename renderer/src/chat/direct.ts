/**
 * The m.direct account data: which rooms are direct chats with whom
 * ({ "@bob:server": ["!room:server", ...] }, client-server spec "Direct Messaging").
 * Pure functions over its content, so the list's split into people and rooms is testable.
 */
export type DirectContent = Record<string, string[]>;

/** Reads m.direct content defensively: other clients write it, and may write it badly. */
export function readDirect(content: unknown): DirectContent {
  const out: DirectContent = {};
  if (!content || typeof content !== 'object') return out;
  for (const [userId, rooms] of Object.entries(content as Record<string, unknown>)) {
    if (!Array.isArray(rooms)) continue;
    const ids = rooms.filter((r): r is string => typeof r === 'string');
    if (ids.length) out[userId] = ids;
  }
  return out;
}

/** The room id → other person map, for every direct room. */
export function directRoomPartners(content: DirectContent): Map<string, string> {
  const m = new Map<string, string>();
  for (const [userId, rooms] of Object.entries(content)) {
    for (const r of rooms) if (!m.has(r)) m.set(r, userId);
  }
  return m;
}

/** m.direct with `roomId` added for `userId` (unchanged content when already there). */
export function addDirectRoom(
  content: DirectContent,
  userId: string,
  roomId: string,
): DirectContent {
  const rooms = content[userId] ?? [];
  if (rooms.includes(roomId)) return content;
  return { ...content, [userId]: [...rooms, roomId] };
}

/** m.direct without `roomId` under anyone (after leaving or when it stops being a DM). */
export function removeDirectRoom(content: DirectContent, roomId: string): DirectContent {
  const out: DirectContent = {};
  for (const [userId, rooms] of Object.entries(content)) {
    const kept = rooms.filter((r) => r !== roomId);
    if (kept.length) out[userId] = kept;
  }
  return out;
}
