import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';
import {
  authEventsNeeded,
  checkAuthEvents,
  checkEventAuth,
  type AuthEvent,
} from '../../events/auth/check.js';
import { referencedEventIds, validatePduShape, type Pdu } from '../../events/event-format.js';
import { computeEventId } from '../../events/hashes.js';
import { MissingEventsError, persistRemoteEvent } from '../../events/persist-remote.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { checkContentHash, signEvent } from '../../events/sign-event.js';
import { loadStateGroup } from '../../events/state-groups.js';
import { stateKeyId, type StateMap } from '../../events/state-map.js';
import { resolveStateGroups, storeFetch } from '../../events/state-res/index.js';
import * as events from '../../events/store.js';
import { checkPduSignaturesAndHashes } from '../event-signatures.js';
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
  if (weSign) pdu = signAsResident(ctx, version, pdu);
  const checked = await checkPduSignaturesAndHashes(
    ctx,
    version,
    pdu as unknown as Record<string, unknown>,
  );
  if (!checked.ok) throw errors.invalidParam(`Bad join event: ${checked.reason}`);

  const stored = await events.getEventRow(ctx.db, a.eventId);
  if (!stored) {
    await assertJoinAllowed(ctx, version, a.roomId, a.eventId, pdu);
    let outcome;
    try {
      outcome = await persistRemoteEvent(ctx, {
        version,
        roomId: a.roomId,
        eventId: a.eventId,
        pdu,
        relayedFrom: a.origin,
      });
    } catch (err) {
      if (err instanceof MissingEventsError) {
        throw errors.invalidParam(`The join refers to events this server does not have`);
      }
      throw err;
    }
    if (outcome.outcome === 'rejected' || outcome.outcome === 'soft_failed') {
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

/** The join with this server's signature added (spec "Restricted rooms"). */
function signAsResident(ctx: Ctx, version: RoomVersion, pdu: Pdu): Pdu {
  const key = ctx.config.signingKeys[0];
  if (!key) throw new Error('no signing key loaded');
  const { unsigned, ...rest } = pdu;
  const signed = signEvent(
    rest as unknown as Record<string, unknown>,
    ctx.config.serverName,
    key,
    version,
  );
  return { ...(signed as unknown as Pdu), ...(unsigned ? { unsigned } : {}) };
}

/**
 * The auth rules against the join's auth events and against the current state (spec
 * "Checks performed on receipt of a PDU", steps 4 and 6), before anything is written: a
 * join that fails them is refused with 403 rather than stored as rejected.
 */
async function assertJoinAllowed(
  ctx: Ctx,
  version: RoomVersion,
  roomId: string,
  eventId: string,
  pdu: Pdu,
): Promise<void> {
  const event: AuthEvent = { ...(pdu as unknown as AuthEvent), event_id: eventId };
  const fetch = storeFetch(ctx.db);
  const authIds = referencedEventIds(pdu.auth_events);
  const listed = await fetch.events(authIds);
  if (listed.size !== new Set(authIds).size) {
    throw errors.invalidParam('The join lists auth events this server does not have');
  }
  const authEvents = [...listed.values()];
  let verdict = checkAuthEvents(
    event,
    authEvents,
    version,
    (e) => listed.get(e.event_id!)?.rejected === true,
  );
  if (verdict.ok)
    verdict = checkEventAuth(
      event,
      lookup(authEvents, await createOf(ctx, fetch, roomId)),
      version,
    );
  if (verdict.ok) {
    const current = await ctx.roomQueue.run(roomId, async () => {
      // Local events of the head may be in the writer still: their JSON is read below.
      await ctx.writer.transaction('send_join_barrier', async () => undefined);
      return ctx.roomHeads.get(ctx.db, roomId, (g) => loadStateGroup(ctx, g));
    });
    const keys = [['m.room.create', ''], ...authEventsNeeded(event, version)] as const;
    const ids = keys
      .map(([t, k]) => current.state.get(stateKeyId(t, k)))
      .filter((id): id is string => id !== undefined);
    verdict = checkEventAuth(event, lookup([...(await fetch.events(ids)).values()]), version);
  }
  if (!verdict.ok) throw errors.forbidden(`${verdict.reason} (authorization rule ${verdict.rule})`);
}

/** The create event (v12 joins do not list it among their auth events). */
async function createOf(
  ctx: Ctx,
  fetch: ReturnType<typeof storeFetch>,
  roomId: string,
): Promise<AuthEvent | undefined> {
  const row = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.create', '');
  return row ? (await fetch.events([row.event_id])).get(row.event_id) : undefined;
}

/** An AuthState over events (the create event first, so a listed one wins). */
function lookup(list: readonly AuthEvent[], create?: AuthEvent) {
  const byKey = new Map<string, AuthEvent>();
  for (const e of create ? [create, ...list] : list) {
    if (e.state_key !== undefined) byKey.set(stateKeyId(e.type, e.state_key), e);
  }
  return (type: string, key: string) => byKey.get(stateKeyId(type, key));
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
