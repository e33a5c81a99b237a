import type { Ctx } from '../context.js';
import type { EventJson, Pdu } from '../events/event-format.js';
import type { RoomVersion } from '../events/room-versions.js';
import { signEvent } from '../events/sign-event.js';

/**
 * `pdu`, another server's event, with this server's signature added to those it carries:
 * a restricted join this server authorised (spec "Restricted rooms"), an invite of one of
 * its users (spec "Inviting to a room"). `unsigned` is not signed: it is set aside and put
 * back.
 */
export function countersignEvent(ctx: Ctx, version: RoomVersion, pdu: Pdu): Pdu {
  const key = ctx.config.signingKeys[0];
  if (!key) throw new Error('no signing key loaded');
  const { unsigned, ...rest } = pdu;
  const signed = signEvent(rest as unknown as EventJson, ctx.config.serverName, key, version);
  return { ...(signed as unknown as Pdu), ...(unsigned ? { unsigned } : {}) };
}
