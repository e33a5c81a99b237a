import type { Ctx } from '../context.js';
import { MatrixError } from '../core/errors.js';
import { getCurrentStateEventJson } from '../events/store.js';

/**
 * Server access control lists (spec client-server API "Server Access Control Lists (ACLs)
 * for rooms", m.room.server_acl; server-server API "Server Access Control Lists"): which
 * servers may take part in a room. Every federation endpoint that names a room, and each
 * PDU and room EDU of a transaction, is checked with these.
 */

export interface ServerAcl {
  allow: string[];
  deny: string[];
  allowIpLiterals: boolean;
}

/** The ACL of an m.room.server_acl content (malformed entries are ignored, as Synapse does). */
export function parseServerAcl(content: Record<string, unknown>): ServerAcl {
  const globs = (v: unknown) =>
    Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
  return {
    allow: globs(content.allow),
    deny: globs(content.deny),
    allowIpLiterals: content.allow_ip_literals !== false,
  };
}

/** The host of a server name, without its port (ACLs match hosts: ports are not supported). */
function hostOf(serverName: string): string {
  if (serverName.startsWith('[')) {
    const end = serverName.indexOf(']');
    return end < 0 ? serverName : serverName.slice(0, end + 1);
  }
  const colon = serverName.lastIndexOf(':');
  return colon < 0 ? serverName : serverName.slice(0, colon);
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** A glob of the ACL (`*` any run of characters, `?` one), matched case-insensitively. */
function globMatches(glob: string, host: string): boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`, 'is').test(host);
}

/** Whether `serverName` may take part under `acl` (no ACL: every server may). */
export function serverAllowedByAcl(acl: ServerAcl | null, serverName: string): boolean {
  if (!acl) return true;
  const host = hostOf(serverName);
  if (!acl.allowIpLiterals && isIpLiteral(host)) return false;
  if (acl.deny.some((g) => globMatches(g, host))) return false;
  return acl.allow.some((g) => globMatches(g, host));
}

/** The room's current ACL, or null when it has none. */
export async function roomServerAcl(ctx: Ctx, roomId: string): Promise<ServerAcl | null> {
  const row = await getCurrentStateEventJson(ctx.db, roomId, 'm.room.server_acl', '');
  if (!row) return null;
  const content = (JSON.parse(row.json) as { content?: unknown }).content;
  return content && typeof content === 'object'
    ? parseServerAcl(content as Record<string, unknown>)
    : null;
}

/** Whether `serverName` may take part in the room, by its current ACL. */
export async function serverAllowedInRoom(
  ctx: Ctx,
  roomId: string,
  serverName: string,
): Promise<boolean> {
  return serverAllowedByAcl(await roomServerAcl(ctx, roomId), serverName);
}

/** 403 M_FORBIDDEN unless `origin` may take part in the room (for federation endpoints). */
export async function assertServerAllowed(ctx: Ctx, roomId: string, origin: string): Promise<void> {
  if (!(await serverAllowedInRoom(ctx, roomId, origin))) {
    throw new MatrixError(
      'M_FORBIDDEN',
      `Server ${origin} is denied by the room's server ACL`,
      403,
    );
  }
}
