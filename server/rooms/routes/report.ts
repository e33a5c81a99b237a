import { Type } from '@sinclair/typebox';
import { route } from '../../http/route.js';
import { reportEvent, reportRoom, reportUser } from '../report.js';

/** The spec's content reporting endpoints (report_content.yaml). */

/**
 * POST /_matrix/client/v3/rooms/{roomId}/report/{eventId} — report an event.
 * - 404 M_NOT_FOUND unless the reporter is joined and can see the event (spec v1.8).
 * - `score` (removed from the spec in v1.18) is still accepted, as Synapse: -100..0.
 */
export const postReportEvent = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/report/{eventId}'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String(), eventId: Type.String() }),
    body: Type.Object({
      reason: Type.Optional(Type.String()),
      score: Type.Optional(Type.Unknown()),
    }),
  },
  handler: (ctx, req) =>
    reportEvent(ctx, req.requester, {
      roomId: req.params.roomId,
      eventId: req.params.eventId,
      reason: req.body.reason,
      score: req.body.score,
    }),
});

/** POST /_matrix/client/v3/rooms/{roomId}/report — report a room (joined or not). */
export const postReportRoom = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/rooms/{roomId}/report'],
  auth: 'required',
  schema: {
    params: Type.Object({ roomId: Type.String() }),
    body: Type.Object({ reason: Type.String() }),
  },
  handler: (ctx, req) =>
    reportRoom(ctx, req.requester, { roomId: req.params.roomId, reason: req.body.reason }),
});

/** POST /_matrix/client/v3/users/{userId}/report — report a user. */
export const postReportUser = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/users/{userId}/report'],
  auth: 'required',
  schema: {
    params: Type.Object({ userId: Type.String() }),
    body: Type.Object({ reason: Type.String() }),
  },
  handler: (ctx, req) =>
    reportUser(ctx, req.requester, { userId: req.params.userId, reason: req.body.reason }),
});

export const reportRoutes = [postReportEvent, postReportRoom, postReportUser];
