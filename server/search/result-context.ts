import type { Ctx } from '../context.js';
import type { ClientEvent } from '../events/client-event.js';
import { loadStateGroup } from '../events/state-groups.js';
import { stateKeyId } from '../events/state-map.js';
import { serveEvents, type Viewer } from '../rooms/serve-events.js';
import { makeToken, paginate } from '../rooms/timeline.js';
import * as timeline from '../rooms/timeline-store.js';
import type { RoomView } from '../rooms/visibility.js';

/**
 * The `context` of one search result (search.yaml, `event_context`): the visible events
 * just before and after it, pagination tokens for /messages, and with `include_profile`
 * the senders' display names and avatars as the room knew them then (their member events
 * in the state at the last event returned, as Synapse reads them).
 */

export interface ContextOptions {
  beforeLimit: number;
  afterLimit: number;
  includeProfile: boolean;
}

export interface ResultContext {
  start: string;
  end: string;
  events_before: ClientEvent[];
  events_after: ClientEvent[];
  profile_info?: Record<string, { displayname?: string; avatar_url?: string }>;
}

/** The context of `row`, a visible event of `view`'s room. */
export async function resultContext(
  ctx: Ctx,
  view: RoomView,
  viewer: Viewer,
  row: timeline.TimelineRow,
  opts: ContextOptions,
): Promise<ResultContext> {
  const before = await paginate(ctx, view, {
    from: row.stream_ordering - 1,
    to: 0,
    dir: 'b',
    limit: opts.beforeLimit,
    filter: null,
  });
  const after = await paginate(ctx, view, {
    from: row.stream_ordering,
    to: Number.MAX_SAFE_INTEGER,
    dir: 'f',
    limit: opts.afterLimit,
    filter: null,
  });
  const out: ResultContext = {
    start: makeToken(before.next),
    end: makeToken(after.next),
    events_before: await serveEvents(ctx, view.version, before.rows, viewer),
    events_after: await serveEvents(ctx, view.version, after.rows, viewer),
  };
  if (opts.includeProfile) {
    const senders = new Set([...before.rows, row, ...after.rows].map((r) => r.sender));
    out.profile_info = await profilesAt(ctx, view, after.rows.at(-1) ?? row, senders);
  }
  return out;
}

/** The display name and avatar of each of `senders` in the state after `at`. */
async function profilesAt(
  ctx: Ctx,
  view: RoomView,
  at: timeline.TimelineRow,
  senders: ReadonlySet<string>,
): Promise<NonNullable<ResultContext['profile_info']>> {
  if (at.state_group === null) return {};
  const state = await loadStateGroup(ctx, at.state_group);
  const ids = [...senders].flatMap((s) => {
    const id = state.get(stateKeyId('m.room.member', s));
    return id ? [id] : [];
  });
  const rows = await timeline.getTimelineRowsByIds(ctx.db, view.roomId, ids);
  // Served, so a redacted member event gives no name or avatar away.
  const members = await serveEvents(ctx, view.version, rows);
  const out: NonNullable<ResultContext['profile_info']> = {};
  for (const m of members) {
    const { displayname, avatar_url } = m.content;
    out[m.state_key!] = {
      ...(typeof displayname === 'string' ? { displayname } : {}),
      ...(typeof avatar_url === 'string' ? { avatar_url } : {}),
    };
  }
  return out;
}
