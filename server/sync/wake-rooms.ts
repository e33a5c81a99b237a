import type { Ctx } from '../context.js';
import { deleteOldest } from '../core/map-order.js';

/**
 * Which rooms have events in a window of the events stream, for incremental /sync: a
 * room with none has no timeline and no state change in that window, so an incremental
 * pass can leave it out without reading it (a long-poll's passes are mostly of rooms with
 * nothing new). The answer for a window never changes (the events table grows only at its
 * end, see wake-memberships.ts), and the hundreds of long-polls woken by one send all ask
 * about the same window, so the last few answers are kept. The same scan tells whose
 * memberships changed (wake-memberships.ts).
 */

/**
 * Windows longer than this are not scanned (the caller reads each room, as without this
 * shortcut): the scan reads every event of the window, and a client away for long has a
 * long one.
 */
export const MAX_SCANNED_WINDOW = 2_000;

/** Windows kept per server: those of the few sends that woke the current long-polls. */
const KEPT_WINDOWS = 8;

/** What a window of the events stream touched. */
export interface WindowSummary {
  /** Rooms with at least one event in the window (served or not: a superset is safe). */
  rooms: ReadonlySet<string>;
  /** State keys of the window's m.room.member events: whose memberships changed. */
  members: ReadonlySet<string>;
}

const EMPTY: WindowSummary = { rooms: new Set(), members: new Set() };

/** Per server (keyed by its ctx, so test servers in one process stay apart). */
const kept = new WeakMap<Ctx, Map<string, WindowSummary>>();

/**
 * eventsWindow's answer when it needs no read: the window is empty, too long to scan
 * (null), or kept; undefined when it would have to be read.
 */
export function knownEventsWindow(
  ctx: Ctx,
  from: number,
  to: number,
): WindowSummary | null | undefined {
  if (to <= from) return EMPTY;
  if (to - from > MAX_SCANNED_WINDOW) return null;
  return kept.get(ctx)?.get(`${from}:${to}`);
}

/** What the events in (from, to] touched, or null when the window is too long to scan. */
export async function eventsWindow(
  ctx: Ctx,
  from: number,
  to: number,
): Promise<WindowSummary | null> {
  const known = knownEventsWindow(ctx, from, to);
  if (known !== undefined) return known;
  let windows = kept.get(ctx);
  if (!windows) kept.set(ctx, (windows = new Map()));
  const key = `${from}:${to}`;
  // stream_ordering is the rowid: this is a range scan of the window alone.
  const rows = await ctx.db.all<{ room_id: string; type: string; state_key: string | null }>(
    'SELECT room_id, type, state_key FROM events WHERE stream_ordering > ? AND stream_ordering <= ?',
    from,
    to,
  );
  const summary = {
    rooms: new Set(rows.map((r) => r.room_id)),
    members: new Set(
      rows
        .filter((r) => r.type === 'm.room.member' && r.state_key !== null)
        .map((r) => r.state_key!),
    ),
  };
  if (windows.size >= KEPT_WINDOWS) deleteOldest(windows);
  windows.set(key, summary);
  return summary;
}
