import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';
import { referencedEventIds, validatePduShape, type Pdu } from '../../events/event-format.js';
import { computeEventId } from '../../events/hashes.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { checkContentHash } from '../../events/sign-event.js';
import { loadStateGroup } from '../../events/state-groups.js';
import { stateKeyId, type StateMap } from '../../events/state-map.js';
import { resolveStateGroups, storeFetch } from '../../events/state-res/index.js';
import * as events from '../../events/store.js';
import { countersignEvent } from '../countersign.js';
import { checkPduSignaturesAndHashes } from '../event-signatures.js';
import { assertAllowedNow, persistHandedOver } from '../membership/handed-over.js';
import { residentRoom, serversInState } from './resident-room.js';

/**
 * The resident side of the second step of a remote join (spec server-server "Joining
 * Rooms", PUT /send_join v1 and v2): the joining server sends its signed join; it is
 * checked (a join of a user of the origin, the id it claims, its hashes and signatures, the
 * auth rules against its auth events and the current state) before anything is written,
 * so a bad join changes nothing. Then it is persisted like any event of another server,
 * queued for the room's other servers, and answered with the room's state before it and
 * the auth chain of that state.
 */

export interface SendJoinAnswer {
  state: Pdu[];
  auth_chain: Pdu[];
  /** The join as this server signed it (restricted joins it authorised). */
  event?: Pdu;
  members_omitted: false;
  servers_in_room: string[];
}

/**
 * Accepts the join `body` (claiming id `eventId`) of a user of `origin` into `roomId`.
 * @throws MatrixError 400 M_INVALID_PARAM / M_BAD_JSON for a malformed join, one that is
 *   not a join of a user of the origin, a wrong id or a bad signature; 403 M_FORBIDDEN
 *   when the auth rules refuse it (or the ACL); 404 M_NOT_FOUND for an unknown room.
 */
export async function acceptSendJoin(
  ctx: Ctx,
  a: { origin: string; roomId: string; eventId: string; body: unknown },
): Promise<SendJoinAnswer> {
  const body = a.body as Record<string, unknown>;
  const sender = typeof body.sender === 'string' ? body.sender : '';
  // Checked before the room: joins-v2.yaml asks for M_INVALID_PARAM here, not 403.
  if (parseUserId(sender)?.serverName !== a.origin) {
    throw errors.invalidParam(`The sender is not a user of ${a.origin}`);
  }
  const version = await residentRoom(ctx, { origin: a.origin, roomId: a.roomId, userId: sender });
  const problems = validatePduShape(body, version);
  if (problems.length) throw errors.badJson(`Invalid event: ${problems.join('; ')}`);
  let pdu = body as unknown as Pdu;
  assertIsJoin(pdu, a);
  if (computeEventId(body, version) !== a.eventId) {
    throw errors.invalidParam(`The event's id is not ${a.eventId}`);
  }
  if (!checkContentHash(body)) throw errors.invalidParam('The content hash does not match');

  // A restricted join names one of our members as authoriser: our signature vouches for it.
  const via = pdu.content.join_authorised_via_users_server;
  const weSign =
    version.restrictedJoinRule &&
    typeof via === 'string' &&
    parseUserId(via)?.serverName === ctx.config.serverName;
  if (weSign) pdu = countersignEvent(ctx, version, pdu);
  const checked = await checkPduSignaturesAndHashes(
    ctx,
    version,
    pdu as unknown as Record<string, unknown>,
  );
  if (!checked.ok) throw errors.invalidParam(`Bad join event: ${checked.reason}`);

  const stored = await events.getEventRow(ctx.db, a.eventId);
  if (!stored) {
    const handedOver = { version, roomId: a.roomId, eventId: a.eventId, pdu };
    await assertAllowedNow(ctx, { ...handedOver, what: 'join' });
    const persisted = await persistHandedOver(ctx, { ...handedOver, relayedFrom: a.origin });
    if (persisted === 'missing') {
      throw errors.invalidParam(`The join refers to events this server does not have`);
    }
    if (persisted === 'refused') {
      throw errors.forbidden('The join is not allowed by the current state of the room');
    }
  } else if (stored.room_id !== a.roomId || stored.rejected_reason !== null) {
    throw errors.forbidden('This join was refused before');
  } else {
    // A retry of an accepted join: the answer is the same.
    pdu = JSON.parse((await events.getEventJson(ctx.db, a.eventId))!) as Pdu;
  }
  const answer = await joinAnswer(ctx, version, pdu);
  return weSign ? { ...answer, event: pdu } : answer;
}

/** send_join's own checks on the event (joins-v2.yaml): 400 M_INVALID_PARAM otherwise. */
function assertIsJoin(pdu: Pdu, a: { origin: string; roomId: string }): void {
  if (pdu.type !== 'm.room.member') throw errors.invalidParam('The event is not m.room.member');
  if (pdu.content.membership !== 'join') throw errors.invalidParam('The event is not a join');
  if (pdu.state_key !== pdu.sender) {
    throw errors.invalidParam('The state_key of a join must be its sender');
  }
  if (parseUserId(pdu.sender)?.serverName !== a.origin) {
    throw errors.invalidParam(`The sender is not a user of ${a.origin}`);
  }
  if (pdu.room_id !== a.roomId) throw errors.invalidParam(`The event is not in ${a.roomId}`);
}

/**
 * The state before the join (its prev events' states, resolved when several), as full
 * events, and the auth chain of that state and of the join.
 */
async function joinAnswer(ctx: Ctx, version: RoomVersion, join: Pdu): Promise<SendJoinAnswer> {
  const fetch = storeFetch(ctx.db);
  const prevIds = referencedEventIds(join.prev_events);
  const states: StateMap[] = [];
  for (const id of prevIds) {
    const row = await events.getEventRow(ctx.db, id);
    if (row?.state_group != null) states.push(await loadStateGroup(ctx, row.state_group));
  }
  const before = await resolveStateGroups(version, states, fetch);
  const stateIds = [...new Set(before.values())];
  const chain = await fetch.authChain([...stateIds, ...referencedEventIds(join.auth_events)]);
  for (const id of referencedEventIds(join.auth_events)) chain.add(id);
  // v12 events do not list the create event: it belongs to every auth chain all the same.
  const createId = before.get(stateKeyId('m.room.create', ''));
  if (createId) chain.add(createId);
  const json = await events.getEventJsonMany(ctx.db, [...new Set([...stateIds, ...chain])]);
  const pdus = (ids: Iterable<string>) =>
    [...ids].flatMap((id) => {
      const j = json.get(id);
      return j === undefined ? [] : [JSON.parse(j) as Pdu];
    });
  return {
    state: pdus(stateIds),
    auth_chain: pdus([...chain].sort()),
    members_omitted: false,
    servers_in_room: await serversInState(ctx, before),
  };
}
