import { getProfile } from '../accounts/profile.js';
import type { Requester } from '../accounts/requester.js';
import { errors, MatrixError } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { Ctx } from '../context.js';
import type { Pdu } from '../events/event-format.js';
import * as events from '../events/store.js';
import { membershipOf } from './room-state.js';
import * as store from './reports-store.js';
import { getTimelineRow } from './timeline-store.js';
import { openRoomView } from './visibility.js';

/**
 * Content reports (client-server "Reporting content"): a user reports an event, a room or
 * a user to this server's admins, who read and resolve event reports through Synapse's
 * admin API (`/_synapse/admin/v1/event_reports`).
 */

/** Synapse's range for the (since v1.18 removed, still accepted) `score`. */
const MIN_SCORE = -100;
const MAX_SCORE = 0;

/** The report's score: absent (null) or an integer in Synapse's range, else 400. */
function checkedScore(score: unknown): number | null {
  if (score === undefined) return null;
  if (
    typeof score === 'number' &&
    Number.isInteger(score) &&
    score >= MIN_SCORE &&
    score <= MAX_SCORE
  ) {
    return score;
  }
  throw errors.invalidParam(`score must be an integer between ${MIN_SCORE} and ${MAX_SCORE}`);
}

/**
 * POST /rooms/{roomId}/report/{eventId}. The reporter must be joined to the room (spec
 * v1.8) and able to see the event; anything else is 404 M_NOT_FOUND, the same answer as
 * for an unknown event, so a report does not tell whether an event exists.
 */
export async function reportEvent(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; eventId: string; reason?: string | undefined; score?: unknown },
): Promise<Record<string, never>> {
  const score = checkedScore(a.score);
  const notFound = errors.notFound('The event was not found or you are not joined to the room');
  if ((await membershipOf(ctx, a.roomId, requester.userId)) !== 'join') throw notFound;
  const row = await getTimelineRow(ctx.db, a.roomId, a.eventId);
  if (!row) throw notFound;
  const view = await openRoomView(ctx, requester.userId, a.roomId);
  if (!(await view.canSee(row))) throw notFound;
  const id = await ctx.writer.transaction('report_event', (tx) =>
    store.insertEventReport(tx, {
      roomId: a.roomId,
      eventId: a.eventId,
      userId: requester.userId,
      reason: a.reason ?? null,
      score,
      receivedTs: ctx.clock.now(),
    }),
  );
  ctx.log.info({ reportId: id, roomId: a.roomId, eventId: a.eventId }, 'event reported');
  return {};
}

/**
 * POST /rooms/{roomId}/report: any user may report a room this server knows, joined or
 * not (spec v1.13 "MUST NOT restrict room reports"); 404 for a room it does not know.
 */
export async function reportRoom(
  ctx: Ctx,
  requester: Requester,
  a: { roomId: string; reason: string },
): Promise<Record<string, never>> {
  if (!(await events.getRoom(ctx.db, a.roomId))) throw errors.notFound(`Unknown room ${a.roomId}`);
  await ctx.writer.transaction('report_room', (tx) =>
    store.insertRoomReport(tx, {
      roomId: a.roomId,
      userId: requester.userId,
      reason: a.reason,
      receivedTs: ctx.clock.now(),
    }),
  );
  ctx.log.info({ roomId: a.roomId }, 'room reported');
  return {};
}

/**
 * POST /users/{userId}/report: any user may report any user (spec v1.14). A malformed id
 * is 400 M_INVALID_PARAM, an unknown local user 404; other servers' users are taken on
 * trust (checking them needs federation).
 */
export async function reportUser(
  ctx: Ctx,
  requester: Requester,
  a: { userId: string; reason: string },
): Promise<Record<string, never>> {
  const parsed = parseUserId(a.userId);
  if (!parsed) throw errors.invalidParam(`Invalid user id: ${a.userId}`);
  if (parsed.serverName === ctx.config.serverName) {
    // getProfile answers 404 for a local user who does not exist.
    await getProfile(ctx, a.userId).catch((e: unknown) => {
      throw e instanceof MatrixError && e.status === 404
        ? errors.notFound(`Unknown user ${a.userId}`)
        : e;
    });
  }
  await ctx.writer.transaction('report_user', (tx) =>
    store.insertUserReport(tx, {
      targetUserId: a.userId,
      userId: requester.userId,
      reason: a.reason,
      receivedTs: ctx.clock.now(),
    }),
  );
  ctx.log.info({ target: a.userId }, 'user reported');
  return {};
}

// --- the admin side (Synapse's admin API "Event Reports")

/** An event report as Synapse's admin API shows it. */
export interface EventReport {
  id: number;
  received_ts: number;
  room_id: string;
  event_id: string;
  user_id: string;
  reason: string | null;
  score: number | null;
  sender: string | null;
  name: string | null;
  canonical_alias: string | null;
}

async function stateString(
  ctx: Ctx,
  roomId: string,
  type: string,
  key: string,
): Promise<string | null> {
  const row = await events.getCurrentStateEventJson(ctx.db, roomId, type, '');
  const value = row ? (JSON.parse(row.json) as Pdu).content[key] : undefined;
  return typeof value === 'string' ? value : null;
}

async function describeReport(ctx: Ctx, r: store.EventReportRow): Promise<EventReport> {
  return {
    id: r.id,
    received_ts: r.received_ts,
    room_id: r.room_id,
    event_id: r.event_id,
    user_id: r.user_id,
    reason: r.reason,
    score: r.score,
    sender: (await events.getEventRow(ctx.db, r.event_id))?.sender ?? null,
    name: await stateString(ctx, r.room_id, 'm.room.name', 'name'),
    canonical_alias: await stateString(ctx, r.room_id, 'm.room.canonical_alias', 'alias'),
  };
}

/**
 * GET /_synapse/admin/v1/event_reports: a page of event reports, newest first unless
 * dir=f, filtered by substrings of the room id and of the reporter's id; next_token is
 * the offset of the next page, present while there is one.
 */
export async function listEventReports(
  ctx: Ctx,
  a: {
    from: number;
    limit: number;
    dir: 'f' | 'b';
    roomId?: string | undefined;
    userId?: string | undefined;
  },
): Promise<{ event_reports: EventReport[]; total: number; next_token?: number }> {
  const filter = { roomId: a.roomId, userId: a.userId };
  const rows = await store.listEventReports(ctx.db, {
    ...filter,
    offset: a.from,
    limit: a.limit,
    dir: a.dir,
  });
  const total = await store.countEventReports(ctx.db, filter);
  const reports = await Promise.all(rows.map((r) => describeReport(ctx, r)));
  const next = a.from + rows.length;
  return { event_reports: reports, total, ...(next < total ? { next_token: next } : {}) };
}

/** GET /_synapse/admin/v1/event_reports/{report_id}: one report, with the event's JSON. */
export async function getEventReport(
  ctx: Ctx,
  id: number,
): Promise<EventReport & { event_json: Record<string, unknown> | null }> {
  const row = await store.getEventReport(ctx.db, id);
  if (!row) throw errors.notFound('Event report not found');
  const json = await events.getEventJson(ctx.db, row.event_id);
  return {
    ...(await describeReport(ctx, row)),
    event_json: json ? (JSON.parse(json) as Record<string, unknown>) : null,
  };
}

/** DELETE /_synapse/admin/v1/event_reports/{report_id}: resolve (remove) a report. */
export async function deleteEventReport(ctx: Ctx, id: number): Promise<Record<string, never>> {
  const deleted = await ctx.writer.transaction('delete_event_report', (tx) =>
    store.deleteEventReport(tx, id),
  );
  if (!deleted) throw errors.notFound('Event report not found');
  return {};
}
