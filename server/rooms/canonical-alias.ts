import { errors, MatrixError } from '../core/errors.js';
import type { Ctx } from '../context.js';
import { parseRoomAlias } from './directory.js';
import * as store from './store.js';

/**
 * Checks an m.room.canonical_alias a client sets (client-server "m.room.canonical_alias",
 * and Synapse's checks on PUT /state): `alias` is a room alias or absent, `alt_aliases` a
 * list of them (400 M_INVALID_PARAM), and each alias the event adds that lives on this
 * server exists and points at this room (400 M_BAD_ALIAS). As Synapse, only aliases the
 * event adds are checked, so an alias deleted since does not block other edits; aliases on
 * other servers are accepted unchecked until federation can resolve them.
 */
export async function validateCanonicalAlias(
  ctx: Ctx,
  roomId: string,
  content: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
): Promise<void> {
  const added: unknown[] = [];
  const alias = content.alias;
  if (alias !== undefined && alias !== null && alias !== previous?.alias) added.push(alias);
  if (content.alt_aliases !== undefined) {
    if (!Array.isArray(content.alt_aliases)) {
      throw errors.invalidParam('alt_aliases must be a list of room aliases');
    }
    const before = Array.isArray(previous?.alt_aliases) ? (previous.alt_aliases as unknown[]) : [];
    added.push(...content.alt_aliases.filter((a: unknown) => !before.includes(a)));
  }
  const parsed = added.map((a) => {
    const p = typeof a === 'string' ? parseRoomAlias(a) : null;
    if (!p) throw errors.invalidParam(`Invalid room alias: ${JSON.stringify(a)}`);
    return { alias: a as string, serverName: p.serverName };
  });
  for (const { alias: a, serverName } of parsed) {
    if (serverName !== ctx.config.serverName) continue;
    if ((await store.getAliasRoom(ctx.db, a)) !== roomId) {
      throw new MatrixError('M_BAD_ALIAS', `Room alias ${a} does not point to the room`, 400);
    }
  }
}
