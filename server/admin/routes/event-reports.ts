import { Type } from '@sinclair/typebox';
import { errors } from '../../core/errors.js';
import { route } from '../../http/route.js';
import { deleteEventReport, getEventReport, listEventReports } from '../../rooms/report.js';

/** Synapse's admin API for event reports (docs/admin-api.md "Event reports"). */

const DEFAULT_LIMIT = 100;
const Int = Type.String({ pattern: '^[0-9]{1,9}$' });
const ReportParams = Type.Object({ reportId: Type.String() });

/** A report id as Synapse takes it: a string of a positive integer, else 400. */
function reportId(raw: string): number {
  if (!/^[0-9]{1,15}$/.test(raw)) {
    throw errors.invalidParam(
      'The report_id parameter must be a string representing a positive integer',
    );
  }
  return Number(raw);
}

/** GET /_synapse/admin/v1/event_reports — list event reports (paged, filtered). */
export const getEventReports = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/event_reports'],
  auth: 'admin',
  schema: {
    query: Type.Object({
      from: Type.Optional(Int),
      limit: Type.Optional(Int),
      dir: Type.Optional(Type.Union([Type.Literal('f'), Type.Literal('b')])),
      room_id: Type.Optional(Type.String()),
      user_id: Type.Optional(Type.String()),
    }),
  },
  handler: (ctx, req) =>
    listEventReports(ctx, {
      from: Number(req.query.from ?? 0),
      limit: req.query.limit === undefined ? DEFAULT_LIMIT : Number(req.query.limit),
      dir: req.query.dir ?? 'b',
      roomId: req.query.room_id,
      userId: req.query.user_id,
    }),
});

/** GET /_synapse/admin/v1/event_reports/{report_id} — one report with the event. */
export const getOneEventReport = route({
  method: 'GET',
  paths: ['/_synapse/admin/v1/event_reports/{reportId}'],
  auth: 'admin',
  schema: { params: ReportParams },
  handler: (ctx, req) => getEventReport(ctx, reportId(req.params.reportId)),
});

/** DELETE /_synapse/admin/v1/event_reports/{report_id} — delete (resolve) a report. */
export const deleteOneEventReport = route({
  method: 'DELETE',
  paths: ['/_synapse/admin/v1/event_reports/{reportId}'],
  auth: 'admin',
  schema: { params: ReportParams },
  handler: (ctx, req) => deleteEventReport(ctx, reportId(req.params.reportId)),
});

export const eventReportRoutes = [getEventReports, getOneEventReport, deleteOneEventReport];
