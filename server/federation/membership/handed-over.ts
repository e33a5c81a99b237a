import { settleRoomWrites } from '../../events/room-heads.js';
import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import {
  authEventsNeeded,
  checkAuthEvents,
  checkEventAuth,
  type AuthEvent,
} from '../../events/auth/check.js';
import { referencedEventIds, type Pdu } from '../../events/event-format.js';
import {
  MissingEventsError,
  persistRemoteEvent,
  type RemoteEvent,
} from '../../events/persist-remote.js';
import type { RoomVersion } from '../../events/room-versions.js';
import { loadStateGroup } from '../../events/state-groups.js';
import { stateKeyId } from '../../events/state-map.js';
import { storeFetch } from '../../events/state-res/index.js';

/**
 * Member events another server hands this one to persist in a room it is in (send_join,
 * send_leave, send_knock; an invite countersigned by the invitee's server): checked
 * against the auth rules before anything is written, so a refused one is answered with an
 * error instead of being stored as rejected, then persisted like any event of another
 * server.
 */

/**
 * The auth rules against the event's own auth events and against the room's current
 * state (spec "Checks performed on receipt of a PDU", steps 4 and 6). `what` names the
 * event in the errors ("join", "event").
 * @throws MatrixError 400 M_INVALID_PARAM when it lists auth events this server does not
 *   have, 403 M_FORBIDDEN when the auth rules refuse it.
 */
export async function assertAllowedNow(
  ctx: Ctx,
  a: { version: RoomVersion; roomId: string; eventId: string; pdu: Pdu; what: string },
): Promise<void> {
  const { version, roomId } = a;
  const event: AuthEvent = { ...(a.pdu as unknown as AuthEvent), event_id: a.eventId };
  const fetch = storeFetch(ctx.db);
  const authIds = referencedEventIds(a.pdu.auth_events);
  const listed = await fetch.events(authIds);
  if (listed.size !== new Set(authIds).size) {
    throw errors.invalidParam(`The ${a.what} lists auth events this server does not have`);
  }
  const head = await ctx.roomQueue.run(roomId, async () => {
    // Local events of the head may be in the writer still: their JSON is read below.
    await settleRoomWrites(ctx.roomHeads, ctx.writer, roomId);
    return ctx.roomHeads.get(ctx.db, roomId, (g) => loadStateGroup(ctx, g));
  });
  // v12 events do not list the create event among their auth events.
  const createId = head.state.get(stateKeyId('m.room.create', ''));
  const create = createId ? (await fetch.events([createId])).get(createId) : undefined;
  const authEvents = [...listed.values()];
  let verdict = checkAuthEvents(
    event,
    authEvents,
    version,
    (e) => listed.get(e.event_id!)?.rejected === true,
  );
  if (verdict.ok) verdict = checkEventAuth(event, lookup(authEvents, create), version);
  if (verdict.ok) {
    const ids = [['m.room.create', ''] as const, ...authEventsNeeded(event, version)]
      .map(([t, k]) => head.state.get(stateKeyId(t, k)))
      .filter((id): id is string => id !== undefined);
    verdict = checkEventAuth(event, lookup([...(await fetch.events(ids)).values()]), version);
  }
  if (!verdict.ok) throw errors.forbidden(`${verdict.reason} (authorization rule ${verdict.rule})`);
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
 * persistRemoteEvent for a handed-over event, folded into what its caller answers:
 * 'persisted' (accepted, or stored before), 'missing' when it refers to events this server
 * does not have, 'refused' when it was rejected or soft-failed.
 */
export async function persistHandedOver(
  ctx: Ctx,
  ev: RemoteEvent,
): Promise<'persisted' | 'missing' | 'refused'> {
  try {
    const { outcome } = await persistRemoteEvent(ctx, ev);
    return outcome === 'rejected' || outcome === 'soft_failed' ? 'refused' : 'persisted';
  } catch (err) {
    if (err instanceof MissingEventsError) return 'missing';
    throw err;
  }
}
