import type { Ctx } from '../../context.js';
import { errors, MatrixError } from '../../core/errors.js';
import { parseUserId } from '../../core/ids.js';
import { buildLocalEvent } from '../../events/build.js';
import type { EventJson, Pdu } from '../../events/event-format.js';
import { computeEventId } from '../../events/hashes.js';
import { persistHandedOver } from './handed-over.js';
import { callRemote, hasValidSignatureOf, isUnsupportedEndpoint } from './remote-call.js';
import { roomPreviewState } from './room-preview.js';
import { assertDraftAllowed, draftMemberEvent } from './template.js';
import { isObject } from '../../core/is-object.js';

/**
 * Inviting a user of another server from a local room (server-server "Inviting to a
 * room"): the invite is built on the room's current state and checked by the auth rules,
 * sent to the invitee's server with PUT /v2/invite (v1 for rooms of version 1 and 2 when
 * v2 is not served there) with the room's preview state, and persisted only once it comes
 * back signed by that server too, so the invite in the room carries both signatures. The
 * room's other servers get it through the outgoing queue, as any local event.
 */

/**
 * Invites `target` (a user of another server) to `roomId` on behalf of `sender`.
 * @throws MatrixError 403 (auth rules: not allowed to invite, target banned or joined),
 *   404 (unknown room), the invitee server's refusal (403, 400
 *   M_INCOMPATIBLE_ROOM_VERSION, ...), 502 when it cannot be reached or answers wrongly.
 */
export async function inviteRemoteUser(
  ctx: Ctx,
  a: { roomId: string; sender: string; target: string; content: Record<string, unknown> },
): Promise<void> {
  const destination = parseUserId(a.target)?.serverName;
  if (!destination) throw errors.invalidParam(`Invalid user id ${a.target}`);
  const d = await draftMemberEvent(ctx, a);
  assertDraftAllowed(d);
  const { version } = d;
  const built = buildLocalEvent(ctx, version, d.draft);
  const preview = await roomPreviewState(ctx, a.roomId, a.sender);
  const path = (v: 'v1' | 'v2') =>
    `/_matrix/federation/${v}/invite/${encodeURIComponent(a.roomId)}/${encodeURIComponent(built.eventId)}`;
  let returned: unknown;
  try {
    const res = await callRemote(ctx, destination, {
      method: 'PUT',
      path: path('v2'),
      body: { room_version: version.id, event: built.pdu, invite_room_state: preview },
    });
    returned = isObject(res.body) ? res.body.event : undefined;
  } catch (err) {
    if (!(version.eventIdFormat === 'server' && isUnsupportedEndpoint(err))) throw err;
    const res = await callRemote(ctx, destination, {
      method: 'PUT',
      path: path('v1'),
      body: { ...built.pdu, unsigned: { invite_room_state: preview } },
    });
    const pair = Array.isArray(res.body) ? (res.body as unknown[]) : [];
    returned = isObject(pair[1]) ? pair[1].event : undefined;
  }
  const signed = await checkSignedInvite(ctx, {
    destination,
    version: d.version,
    eventId: built.eventId,
    ours: built.pdu,
    returned,
  });
  const persisted = await persistHandedOver(ctx, {
    version,
    roomId: a.roomId,
    eventId: built.eventId,
    pdu: signed,
  });
  if (persisted === 'missing') {
    throw errors.unknown('The room changed while the invite was being sent; retry');
  }
  if (persisted === 'refused') {
    throw errors.forbidden(
      'The room changed while the invite was being sent: it is not allowed now',
    );
  }
}

/**
 * The invite as it is persisted: ours, with the invitee server's signatures, once the
 * returned event is the one sent (same id) and carries a valid signature of that server.
 * @throws MatrixError 502 otherwise.
 */
async function checkSignedInvite(
  ctx: Ctx,
  a: {
    destination: string;
    version: Parameters<typeof computeEventId>[1];
    eventId: string;
    ours: Pdu;
    returned: unknown;
  },
): Promise<Pdu> {
  const bad = (why: string) =>
    new MatrixError('M_UNKNOWN', `${a.destination} answered the invite wrongly: ${why}`, 502);
  if (!isObject(a.returned)) throw bad('no event');
  const returned = a.returned as EventJson;
  const theirs = isObject(returned.signatures) ? returned.signatures[a.destination] : undefined;
  if (!isObject(theirs)) throw bad('it is not signed by the invitee server');
  // The server's signature is checked on the event we sent, so nothing else it changed
  // (content, ids) can slip into the room.
  const merged = {
    ...a.ours,
    signatures: {
      ...a.ours.signatures,
      [a.destination]: theirs as Record<string, string>,
    },
  } as Pdu;
  let id: string;
  try {
    id = computeEventId(returned, a.version);
  } catch {
    throw bad('the event has no id');
  }
  if (id !== a.eventId) throw bad('it is not the event that was sent');
  if (!(await hasValidSignatureOf(ctx, a.version, merged as unknown as EventJson, a.destination))) {
    throw bad('its signature does not verify');
  }
  return merged;
}
