import type { Ctx } from '../context.js';
import { errors } from '../core/errors.js';
import { isValidServerName } from '../core/ids.js';
import { noteDestinationUp } from '../federation/sender/queue.js';
import * as sender from '../federation/sender/store.js';
import { UP } from '../federation/sender/backoff.js';
import { nextToken } from './paging.js';

/**
 * Other servers this one sends to and their retry state (Synapse's Federation API shapes),
 * and "retry now".
 */

function shown(d: sender.DestinationRow): Record<string, unknown> {
  return {
    destination: d.destination,
    retry_last_ts: d.retry_last_ts,
    retry_interval: d.retry_interval_ms,
    failure_ts: d.failure_ts,
    // Hearth tracks no per-destination acknowledged position.
    last_successful_stream_ordering: null,
  };
}

/** The sort keys (Synapse's order_by values). */
export const DESTINATION_ORDER = [
  'destination',
  'retry_last_ts',
  'retry_interval',
  'failure_ts',
  'last_successful_stream_ordering',
];

/** GET /v1/federation/destinations */
export async function listDestinations(
  ctx: Ctx,
  a: { search?: string | undefined; orderBy: string; dir: 'f' | 'b'; from: number; limit: number },
): Promise<Record<string, unknown>> {
  const rows = await sender.listDestinationsPage(ctx.db, a);
  const total = await sender.countDestinations(ctx.db, a.search);
  return { destinations: rows.map(shown), total, ...nextToken(a.from, rows.length, total) };
}

async function existing(ctx: Ctx, destination: string): Promise<sender.DestinationRow> {
  if (!isValidServerName(destination)) throw errors.invalidParam('Invalid destination');
  const row = await sender.getDestination(ctx.db, destination);
  if (!row) throw errors.notFound('Unknown destination');
  return row;
}

/** GET /v1/federation/destinations/{destination} */
export async function getDestination(
  ctx: Ctx,
  destination: string,
): Promise<Record<string, unknown>> {
  return shown(await existing(ctx, destination));
}

/**
 * POST /v1/federation/destinations/{destination}/reset_connection: forgets the backoff and
 * tells the running sender to send what is queued for it now.
 */
export async function resetConnection(ctx: Ctx, destination: string): Promise<void> {
  await existing(ctx, destination);
  await ctx.writer.transaction('admin_reset_destination', (tx) =>
    sender.setRetryState(tx, destination, UP),
  );
  // The sender holds the retry state in memory too: this clears it there and sends.
  noteDestinationUp(ctx, destination);
  ctx.log.info({ destination }, 'federation backoff reset by an admin');
}
