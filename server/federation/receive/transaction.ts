import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import type { EventJson } from '../../events/event-format.js';
import { roomVersion } from '../../events/room-versions.js';
import { getRoom } from '../../events/store.js';
import { serverAllowedInRoom } from '../acl.js';
import { receiveOutOfRoomMembership } from '../membership/out-of-room.js';
import { serverInRoom } from '../server-visibility.js';
import { MAX_EDUS_PER_TXN, MAX_PDUS_PER_TXN } from '../sender/transaction.js';
import { receiveEdu } from './edus.js';
import { checkReceivedPdus, pduEventId, type PduResult, type ReceivingRoom } from './pdu.js';
import { persistReceivedPdu } from './persist-received.js';
import * as store from './store.js';
import { isObject } from '../../core/is-object.js';

/**
 * PUT /_matrix/federation/v1/send/{txnId} from another server (server-server
 * "Transactions"): its PDUs, each room's in the order given and rooms side by side, and its
 * EDUs alongside; the answer names each PDU's outcome. A transaction is processed once: the
 * same id from the same origin gets the stored answer again (senders retry a transaction
 * until they get one, and the answer to the first try may have been lost).
 */

export interface TransactionBody {
  origin: string;
  origin_server_ts: number;
  pdus: unknown[];
  edus?: unknown[] | undefined;
}

export interface TransactionResponse {
  pdus: Record<string, PduResult>;
}

/** Answers to transactions (and to-device message ids) are kept this long. */
export const INBOUND_TXN_TTL_MS = 24 * 60 * 60_000;
/** Old answers are looked for at most this often. */
const PRUNE_INTERVAL_MS = 60 * 60_000;
/** Ids of rooms of unknown version are worked out with the rules of current rooms. */
const DEFAULT_ID_VERSION = roomVersion('11')!;

/** Per context: transactions in flight by origin, and when old answers were last pruned. */
interface InFlight {
  byOrigin: Map<string, { txnId: string; answer: Promise<TransactionResponse> }>;
  prunedAt: number;
}
const inFlight = new WeakMap<Ctx, InFlight>();

function inFlightOf(ctx: Ctx): InFlight {
  let f = inFlight.get(ctx);
  if (!f) inFlight.set(ctx, (f = { byOrigin: new Map(), prunedAt: 0 }));
  return f;
}

/**
 * Processes transaction `txnId` of `origin` (the server that signed the request).
 * @throws MatrixError 403 M_FORBIDDEN when the body names another origin; 400 M_BAD_JSON
 *   over 50 PDUs or 100 EDUs (Synapse answers 400 too); 429 M_UNKNOWN while another
 *   transaction of the same origin is being processed (as Synapse: one at a time). None of
 *   these is remembered, so the same id may come again.
 */
export async function receiveTransaction(
  ctx: Ctx,
  a: { origin: string; txnId: string; body: TransactionBody },
): Promise<TransactionResponse> {
  const { origin, txnId, body } = a;
  if (body.origin !== origin) {
    throw errors.forbidden(`The transaction's origin ${body.origin} is not the sender ${origin}`);
  }
  if (body.pdus.length > MAX_PDUS_PER_TXN || (body.edus?.length ?? 0) > MAX_EDUS_PER_TXN) {
    throw errors.badJson(
      `A transaction holds at most ${MAX_PDUS_PER_TXN} PDUs and ${MAX_EDUS_PER_TXN} EDUs`,
    );
  }
  const flight = inFlightOf(ctx);
  const running = flight.byOrigin.get(origin);
  if (running) {
    if (running.txnId === txnId) return running.answer;
    throw new MatrixError('M_UNKNOWN', 'Too many concurrent transactions', 429);
  }
  // Registered before the first await, so a second request cannot slip past the check.
  const answer = (async () => {
    const stored = await store.getInboundTxnResponse(ctx.db, origin, txnId);
    if (stored !== undefined) return JSON.parse(stored) as TransactionResponse;
    return processTransaction(ctx, origin, txnId, body);
  })();
  flight.byOrigin.set(origin, { txnId, answer });
  try {
    return await answer;
  } finally {
    flight.byOrigin.delete(origin);
  }
}

async function processTransaction(
  ctx: Ctx,
  origin: string,
  txnId: string,
  body: TransactionBody,
): Promise<TransactionResponse> {
  const [pdus] = await Promise.all([
    receivePdus(ctx, origin, body.pdus),
    // EDUs do not wait behind the PDUs (to-device messages, typing), as in Synapse.
    Promise.all((body.edus ?? []).map((edu) => receiveEdu(ctx, origin, edu))),
  ]);
  const response: TransactionResponse = { pdus };
  const now = ctx.clock.now();
  const flight = inFlightOf(ctx);
  const prune = now - flight.prunedAt >= PRUNE_INTERVAL_MS;
  if (prune) flight.prunedAt = now;
  await ctx.writer.transaction('record_inbound_txn', async (tx) => {
    if (prune) await store.deleteInboundBefore(tx, now - INBOUND_TXN_TTL_MS);
    await store.insertInboundTxn(tx, {
      origin,
      txnId,
      responseJson: JSON.stringify(response),
      receivedTs: now,
    });
  });
  return response;
}

/** A PDU of the body and its event id. */
interface Incoming {
  json: EventJson;
  eventId: string;
}

/** Every PDU's result; rooms in parallel, each room's PDUs in the order given. */
async function receivePdus(
  ctx: Ctx,
  origin: string,
  pdus: readonly unknown[],
): Promise<Record<string, PduResult>> {
  const results: Record<string, PduResult> = {};
  const byRoom = new Map<string, Incoming[]>();
  const rooms = new Map<string, ReceivingRoom | null>();
  for (const json of pdus) {
    if (!isObject(json)) {
      ctx.log.info({ origin }, 'dropped a PDU that is not a JSON object');
      continue;
    }
    const roomId = typeof json.room_id === 'string' ? json.room_id : null;
    let room = roomId === null ? null : rooms.get(roomId);
    if (roomId !== null && room === undefined) {
      room = await receivingRoom(ctx, roomId);
      rooms.set(roomId, room);
    }
    const eventId = pduEventId(json, room?.version ?? DEFAULT_ID_VERSION);
    if (!eventId?.startsWith('$')) {
      ctx.log.info({ origin, roomId }, 'dropped a PDU whose event id cannot be worked out');
      continue;
    }
    if (!room) {
      // A room this server is not in: the event may still end a local user's pending
      // invite or knock there (an invite rescinded, a knock refused).
      const ended = roomId === null ? null : await endsRemoteMembership(ctx, origin, json);
      results[eventId] = ended ?? {
        error:
          roomId === null
            ? 'The event has no room_id'
            : `Unknown room ${roomId}, or this server is not in it`,
      };
      continue;
    }
    const list = byRoom.get(room.roomId) ?? [];
    list.push({ json, eventId });
    byRoom.set(room.roomId, list);
  }
  await Promise.all(
    [...byRoom].map(async ([roomId, list]) => {
      const room = rooms.get(roomId)!;
      if (!(await serverAllowedInRoom(ctx, roomId, origin))) {
        for (const p of list) {
          results[p.eventId] = { error: `Server ${origin} is denied by the room's server ACL` };
        }
        return;
      }
      // Steps 1-3 for the room's PDUs together (their signatures verified at once), then
      // each persisted in the order given.
      let checks: Awaited<ReturnType<typeof checkReceivedPdus>>;
      try {
        checks = await checkReceivedPdus(ctx, room, list);
      } catch (err) {
        ctx.log.error({ err, origin, roomId }, 'could not check the PDUs of a room');
        for (const p of list) results[p.eventId] = { error: INTERNAL_ERROR };
        return;
      }
      for (const [i, p] of list.entries()) {
        results[p.eventId] = await receiveOnePdu(ctx, origin, room, p, checks[i]!);
      }
    }),
  );
  return results;
}

const INTERNAL_ERROR = 'Internal error while processing the event';

async function receiveOnePdu(
  ctx: Ctx,
  origin: string,
  room: ReceivingRoom,
  p: Incoming,
  checked: Awaited<ReturnType<typeof checkReceivedPdus>>[number],
): Promise<PduResult> {
  if ('error' in checked) {
    ctx.log.info({ origin, eventId: p.eventId, error: checked.error }, 'dropped a PDU');
    return checked;
  }
  try {
    return await persistReceivedPdu(ctx, origin, room, checked);
  } catch (err) {
    // One PDU failing this server must not lose the others' results.
    ctx.log.error({ err, origin, eventId: p.eventId }, 'could not process a PDU');
    return { error: INTERNAL_ERROR };
  }
}

/** The room a PDU names, when this server is in it (a user of its own is joined); else null. */
async function receivingRoom(ctx: Ctx, roomId: string): Promise<ReceivingRoom | null> {
  const row = await getRoom(ctx.db, roomId);
  const version = row ? roomVersion(row.room_version) : undefined;
  if (!row || !version) return null;
  if (!(await serverInRoom(ctx, roomId, ctx.config.serverName))) return null;
  return { roomId, version };
}

/** receiveOutOfRoomMembership, with its failures as a PDU's error rather than the whole answer's. */
async function endsRemoteMembership(
  ctx: Ctx,
  origin: string,
  json: Record<string, unknown>,
): Promise<PduResult | null> {
  try {
    return await receiveOutOfRoomMembership(ctx, origin, json);
  } catch (err) {
    ctx.log.error({ err, origin }, 'could not process an event of a room this server is not in');
    return { error: 'Internal error while processing the event' };
  }
}
