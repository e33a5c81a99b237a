import type { Ctx } from '../../context.js';
import { errors } from '../../core/errors.js';
import { stateKeyId } from '../../events/state-map.js';
import * as events from '../../events/store.js';
import { parseRoomAlias, resolveAlias } from '../../rooms/directory.js';
import { serversInState } from './resident-room.js';

/**
 * Answering other servers about this server's room aliases (spec server-server "Querying
 * for information", GET /query/directory). Asking them about theirs is
 * federation/reads/remote.ts (resolveRemoteAlias).
 */

/**
 * The room an alias of this server names and the servers in it (this one first).
 * @throws MatrixError 404 M_NOT_FOUND for an unknown alias, 400 for an alias of another
 *   server (as Synapse: servers only answer for their own aliases).
 */
export async function answerDirectoryQuery(
  ctx: Ctx,
  alias: string,
): Promise<{ room_id: string; servers: string[] }> {
  const parsed = parseRoomAlias(alias);
  if (!parsed) throw errors.invalidParam(`Invalid room alias: ${alias}`);
  if (parsed.serverName !== ctx.config.serverName) {
    throw errors.invalidParam(`Room alias ${alias} is not hosted on this server`);
  }
  const { room_id } = await resolveAlias(ctx, alias);
  const state = new Map(
    (await events.getCurrentState(ctx.db, room_id)).map((r) => [
      stateKeyId(r.type, r.state_key),
      r.event_id,
    ]),
  );
  const others = (await serversInState(ctx, state)).filter((s) => s !== ctx.config.serverName);
  return { room_id, servers: [ctx.config.serverName, ...others] };
}
