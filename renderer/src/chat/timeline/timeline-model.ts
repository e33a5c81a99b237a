import type { MatrixEvent } from 'matrix-js-sdk';
import { noticeText, type NameOf } from './notices.js';

/** What the timeline draws, in order: day separators, one-line notices and messages. */
export type TimelineItem =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'notice'; key: string; event: MatrixEvent; text: string; covered: MatrixEvent[] }
  | {
      kind: 'message';
      key: string;
      event: MatrixEvent;
      /** Same sender as the message just above, close in time: no name or avatar again. */
      continuation: boolean;
      /** This event and the hidden ones after it (reactions, edits), for read receipts. */
      covered: MatrixEvent[];
    };

/** Messages from one sender closer than this are drawn as one group. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

const MESSAGE_TYPES = new Set(['m.room.message', 'm.sticker', 'm.room.encrypted']);

/**
 * Whether an event is drawn on its own. Reactions and edits are drawn on the message they
 * relate to; redaction events are drawn as the "Message deleted" of their target.
 */
export function isMessageLike(ev: MatrixEvent): boolean {
  if (!MESSAGE_TYPES.has(ev.getType())) return false;
  if (ev.isState()) return false;
  const rel = ev.getRelation();
  if (rel?.rel_type === 'm.replace') return false;
  // An event still encrypted (or failed) may be anything; draw it, the tile says why.
  return true;
}

/** "Today", "Yesterday", or a date ("Monday, 3 March 2025") in the person's locale. */
export function dayLabel(ts: number, now: number, locale?: string): string {
  const d = new Date(ts);
  const today = new Date(now);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(today) - startOf(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: d.getFullYear() === today.getFullYear() ? undefined : 'numeric',
  });
}

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/**
 * Turns the room's events (oldest first) into the items drawn: a day separator where the
 * local date changes, notices for state events worth a line, messages grouped by sender.
 */
export function buildTimelineItems(
  events: readonly MatrixEvent[],
  nameOf: NameOf,
  now: number = Date.now(),
): TimelineItem[] {
  const items: TimelineItem[] = [];
  let lastDay: string | null = null;
  let prevMessage: MatrixEvent | null = null;
  let lastShown: { covered: MatrixEvent[] } | null = null;
  for (const ev of events) {
    let item: TimelineItem | null = null;
    // The transaction id first: my message keeps its key (and its tile) when the local
    // echo gets its event id.
    const key = ev.getTxnId() ?? ev.getId() ?? `local-${items.length}`;
    if (isMessageLike(ev)) {
      const continuation: boolean =
        prevMessage !== null &&
        prevMessage.getSender() === ev.getSender() &&
        ev.getTs() - prevMessage.getTs() < GROUP_GAP_MS &&
        dayKey(prevMessage.getTs()) === dayKey(ev.getTs());
      item = { kind: 'message', key, event: ev, continuation, covered: [ev] };
    } else if (ev.isState()) {
      const text = noticeText(ev, nameOf);
      if (text) item = { kind: 'notice', key, event: ev, text, covered: [ev] };
    }
    if (!item) {
      // Hidden (a reaction, an edit, a redaction, a state change not worth a line): a read
      // receipt on it shows on the item above.
      lastShown?.covered.push(ev);
      continue;
    }
    const day = dayKey(ev.getTs());
    if (day !== lastDay) {
      items.push({ kind: 'day', key: `day-${day}`, label: dayLabel(ev.getTs(), now) });
      lastDay = day;
      if (item.kind === 'message') item.continuation = false;
    }
    items.push(item);
    prevMessage = item.kind === 'message' ? ev : null;
    lastShown = item;
  }
  return items;
}
