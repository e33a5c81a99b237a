import type { Ctx } from '../../context.js';
import { MissingEventsError, persistRemoteEvent } from '../../events/persist-remote.js';
import { fetchMissingPrevEvents } from './fetch-missing.js';
import type { CheckedPdu, PduResult, ReceivingRoom } from './pdu.js';

/**
 * Steps 4-6 of the checks on receipt for a PDU that passed the first three (./pdu.ts), in
 * persistRemoteEvent: rejected or soft-failed. Prev events this server lacks are fetched
 * from the origin with /get_missing_events first (./fetch-missing.ts).
 */

/**
 * Persists a checked PDU that `origin` sent; when its prev events are missing, fetches them
 * from `origin` (get_missing_events), persists them oldest first, and tries once more.
 * Resolves with the PDU's result for the answer.
 */
export async function persistReceivedPdu(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  checked: CheckedPdu,
): Promise<PduResult> {
  try {
    return await persistChecked(ctx, room, checked);
  } catch (err) {
    if (!(err instanceof MissingEventsError) || err.kind !== 'prev_events') {
      return missingResult(err);
    }
  }
  const gap = await fetchMissingPrevEvents(ctx, origin, room, checked);
  if (gap) return { error: gap };
  try {
    return await persistChecked(ctx, room, checked);
  } catch (err) {
    return missingResult(err);
  }
}

async function persistChecked(
  ctx: Ctx,
  room: ReceivingRoom,
  checked: CheckedPdu,
): Promise<PduResult> {
  const out = await persistRemoteEvent(ctx, {
    version: room.version,
    roomId: room.roomId,
    eventId: checked.eventId,
    pdu: checked.pdu,
    // Seen by the next PDU and by clients once committed; the answer to the sender waits
    // for the transaction's durable record (transaction.ts), whose fsync covers them all.
    durable: false,
  });
  // Rejected events are stored (never served); the sender is told, as Synapse does.
  return out.outcome === 'rejected' ? { error: `Event rejected: ${out.reason}` } : {};
}

/** The result for a PDU that still misses events once fetching was tried (or not). */
function missingResult(err: unknown): PduResult {
  if (!(err instanceof MissingEventsError)) throw err;
  const ids = err.eventIds.join(', ');
  switch (err.kind) {
    case 'prev_events':
      return { error: `Missing prev events that could not be fetched: ${ids}` };
    case 'auth_events':
      // Fetching them (GET /event, stored as outliers) is a later step: refused for now.
      return { error: `Missing auth events (not fetched by this server yet): ${ids}` };
    case 'state':
      return { error: `The state at prev events is not known here: ${ids}` };
  }
}
