import type { Ctx } from '../../context.js';
import {
  checkAuthEvents,
  checkEventAuth,
  type AuthEvent,
  type AuthState,
} from '../../events/auth/check.js';
import { referencedEventIds, validatePduShape, type Pdu } from '../../events/event-format.js';
import { computeEventId, computeRoomIdV12 } from '../../events/hashes.js';
import { authOrder, type StoredEvent } from '../../events/persist-join.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { stateKeyId } from '../../events/state-map.js';
import { checkPduSignaturesAndHashes, checkPdusSignaturesAndHashes } from '../event-signatures.js';

/**
 * The joining side's checks on a send_join answer (spec server-server "Joining Rooms": the
 * joining server "must validate the response": every event's signatures and hashes, the
 * create event, a complete auth chain, and the state and the join passing the auth
 * rules). Whatever fails, nothing of the answer is kept, and the join is tried through
 * another server.
 */

/** The resident server's answer cannot be used (the reason goes to the logs). */
export class BadJoinAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadJoinAnswerError';
  }
}

/** The most events an answer may hold (state and auth chain together). */
const MAX_EVENTS = 250_000;

export interface CheckedJoin {
  outliers: StoredEvent[];
  stateBefore: Map<string, string>;
  creator: string;
  /** The join to persist: ours, or the resident's signed copy (restricted joins). */
  join: StoredEvent;
}

/**
 * Checks the send_join answer `body` for our `join` into `roomId` of `version`.
 * @throws BadJoinAnswerError when it cannot be used.
 */
export async function checkJoinAnswer(
  ctx: Ctx,
  a: { version: RoomVersion; roomId: string; join: StoredEvent; body: unknown },
): Promise<CheckedJoin> {
  const { version, roomId } = a;
  const body = a.body as { state?: unknown; auth_chain?: unknown; event?: unknown } | undefined;
  if (!Array.isArray(body?.state) || !Array.isArray(body.auth_chain)) {
    throw new BadJoinAnswerError('the answer has no state or auth_chain list');
  }
  if (body.state.length + body.auth_chain.length > MAX_EVENTS) {
    throw new BadJoinAnswerError('the answer holds too many events');
  }
  const state = await checkedEvents(ctx, version, roomId, body.state as unknown[]);
  const chain = await checkedEvents(ctx, version, roomId, body.auth_chain as unknown[]);
  const all = new Map<string, StoredEvent>([...chain, ...state].map((e) => [e.eventId, e]));

  const stateBefore = new Map<string, string>();
  for (const e of state) {
    if (e.pdu.state_key === undefined) throw new BadJoinAnswerError(`${e.eventId} is not state`);
    const key = stateKeyId(e.pdu.type, e.pdu.state_key);
    if (stateBefore.has(key)) throw new BadJoinAnswerError(`the state names ${key} twice`);
    stateBefore.set(key, e.eventId);
  }
  const create = all.get(stateBefore.get(stateKeyId('m.room.create', '')) ?? '');
  if (!create) throw new BadJoinAnswerError('the state has no m.room.create');
  checkCreate(version, roomId, create.pdu);

  const join = await residentJoin(ctx, version, a.join, body.event);
  for (const e of [...all.values(), join]) {
    const missing = referencedEventIds(e.pdu.auth_events).filter((id) => !all.has(id));
    if (missing.length) {
      throw new BadJoinAnswerError(`the auth chain lacks ${missing.join(', ')}`);
    }
  }
  const createEvent = asAuth(create);
  for (const e of authOrder([...all.values()])) {
    const why = authFailure(e, version, all, createEvent);
    if (why) throw new BadJoinAnswerError(`${e.eventId} fails the auth rules: ${why}`);
  }
  const why = authFailure(join, version, all, createEvent);
  if (why) throw new BadJoinAnswerError(`our join fails the auth rules: ${why}`);
  const byKey = new Map([...stateBefore].map(([k, id]) => [k, asAuth(all.get(id)!)]));
  const verdict = checkEventAuth(asAuth(join), (t, k) => byKey.get(stateKeyId(t, k)), version);
  if (!verdict.ok) {
    throw new BadJoinAnswerError(`the state does not allow our join: ${verdict.reason}`);
  }
  return { outliers: [...all.values()], stateBefore, creator: create.pdu.sender, join };
}

/**
 * The events of a list that pass the format, signature and hash checks (a wrong content
 * hash keeps the redacted copy, as on any receipt); the others are left out, so whatever
 * needed them fails the auth chain check. Every event must be of the room.
 */
async function checkedEvents(
  ctx: Ctx,
  version: RoomVersion,
  roomId: string,
  list: unknown[],
): Promise<StoredEvent[]> {
  const pdus: Pdu[] = [];
  for (const json of list) {
    if (validatePduShape(json, version).length) continue;
    const { unsigned: _u, ...pdu } = json as Pdu;
    const isV12Create = version.roomIdFromCreateEvent && pdu.type === 'm.room.create';
    if (!isV12Create && pdu.room_id !== roomId) {
      throw new BadJoinAnswerError(`an event of the answer is in ${String(pdu.room_id)}`);
    }
    pdus.push(pdu as Pdu);
  }
  // All at once: a big room's state is tens of thousands of signatures (two cores).
  const checks = await checkPdusSignaturesAndHashes(
    ctx,
    version,
    pdus as unknown as Record<string, unknown>[],
  );
  const out: StoredEvent[] = [];
  checks.forEach((checked) => {
    if (!checked.ok) {
      ctx.log.info({ roomId, reason: checked.reason }, 'send_join answer: event dropped');
      return;
    }
    const event = checked.event as unknown as Pdu;
    out.push({
      eventId: computeEventId(event as unknown as Record<string, unknown>, version),
      pdu: event,
    });
  });
  return out;
}

/** The create event names the room and its version (spec "Joining Rooms"). */
function checkCreate(version: RoomVersion, roomId: string, create: Pdu): void {
  const named = version.roomIdFromCreateEvent
    ? computeRoomIdV12(create as unknown as Record<string, unknown>)
    : create.room_id;
  if (named !== roomId) throw new BadJoinAnswerError('the create event is of another room');
  const v = create.content.room_version ?? '1';
  if (v !== version.id) {
    throw new BadJoinAnswerError(`the create event says version ${String(v)}, not ${version.id}`);
  }
}

/**
 * Our join, or the copy the resident signed (restricted rooms: required then): the same
 * event (same id), with the resident's valid signature added.
 */
async function residentJoin(
  ctx: Ctx,
  version: RoomVersion,
  ours: StoredEvent,
  signed: unknown,
): Promise<StoredEvent> {
  if (signed === undefined || signed === null) return ours;
  if (validatePduShape(signed, version).length) {
    throw new BadJoinAnswerError('the signed join is malformed');
  }
  const { unsigned: _u, ...pdu } = signed as Pdu;
  if (computeEventId(pdu as unknown as Record<string, unknown>, version) !== ours.eventId) {
    throw new BadJoinAnswerError('the signed join is another event');
  }
  const checked = await checkPduSignaturesAndHashes(
    ctx,
    version,
    pdu as unknown as Record<string, unknown>,
  );
  if (!checked.ok || checked.redacted) {
    throw new BadJoinAnswerError(
      `the signed join fails its checks: ${checked.ok ? 'hash' : checked.reason}`,
    );
  }
  return { eventId: ours.eventId, pdu: pdu as Pdu };
}

function asAuth(e: StoredEvent): AuthEvent {
  return { ...(e.pdu as unknown as AuthEvent), event_id: e.eventId };
}

/** Why `e` fails the auth rules against its own auth events, or null. */
function authFailure(
  e: StoredEvent,
  version: RoomVersion,
  all: ReadonlyMap<string, StoredEvent>,
  create: AuthEvent,
): string | null {
  const auth = referencedEventIds(e.pdu.auth_events).map((id) => asAuth(all.get(id)!));
  // The create event has no auth events; its own rules (checkEventAuth) say so.
  if (e.pdu.type !== 'm.room.create') {
    const listed = checkAuthEvents(asAuth(e), auth, version);
    if (!listed.ok) return listed.reason;
  }
  const byKey = new Map<string, AuthEvent>([[stateKeyId('m.room.create', ''), create]]);
  for (const x of auth) byKey.set(stateKeyId(x.type, x.state_key ?? ''), x);
  const state: AuthState = (t, k) => byKey.get(stateKeyId(t, k));
  const verdict = checkEventAuth(asAuth(e), state, version);
  return verdict.ok ? null : `${verdict.reason} (rule ${verdict.rule})`;
}
