/**
 * The room list's order and grouping, as pure functions over plain summaries: invites on
 * top, then direct chats ("People") and other rooms, each sorted by latest activity.
 */
export interface RoomSummary {
  roomId: string;
  name: string;
  membership: 'join' | 'invite';
  isDirect: boolean;
  /** Timestamp (ms) of the latest event, 0 when unknown. */
  lastActive: number;
  /** Unread notifications and, of those, highlights (mentions). */
  unread: number;
  highlight: number;
  /** For invites: who invited. */
  inviter?: string;
}

export interface RoomGroups {
  invites: RoomSummary[];
  people: RoomSummary[];
  rooms: RoomSummary[];
}

/** Case- and accent-insensitive form of a name, for search. */
export function foldForSearch(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** Newest activity first; ties by name, then id, so the order is stable between renders. */
export function compareByActivity(a: RoomSummary, b: RoomSummary): number {
  return (
    b.lastActive - a.lastActive ||
    a.name.localeCompare(b.name) ||
    (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0)
  );
}

/** Splits, filters (every word of the query must appear in the name) and sorts the list. */
export function groupRooms(list: readonly RoomSummary[], query = ''): RoomGroups {
  const words = foldForSearch(query).split(/\s+/).filter(Boolean);
  const matches = (r: RoomSummary) => {
    if (!words.length) return true;
    const name = foldForSearch(r.name);
    return words.every((w) => name.includes(w));
  };
  const groups: RoomGroups = { invites: [], people: [], rooms: [] };
  for (const r of list) {
    if (!matches(r)) continue;
    if (r.membership === 'invite') groups.invites.push(r);
    else if (r.isDirect) groups.people.push(r);
    else groups.rooms.push(r);
  }
  groups.invites.sort(compareByActivity);
  groups.people.sort(compareByActivity);
  groups.rooms.sort(compareByActivity);
  return groups;
}

/** The badge's words for screen readers: "3 unread messages, 1 mention". */
export function unreadLabel(unread: number, highlight: number): string {
  const parts: string[] = [];
  if (unread) parts.push(`${unread} unread message${unread === 1 ? '' : 's'}`);
  if (highlight) parts.push(`${highlight} mention${highlight === 1 ? '' : 's'}`);
  return parts.join(', ');
}
