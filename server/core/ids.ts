/**
 * Matrix identifiers: user ids and server names, as the spec's appendices define them.
 */

/** Characters allowed in a new user id localpart (appendices, "User Identifiers"). */
const LOCALPART_RE = /^[a-z0-9._=\-/+]+$/;
/** Historical localparts that other servers may still send: any printable ASCII but ':'. */
const HISTORICAL_LOCALPART_RE = /^[\x21-\x39\x3b-\x7e]+$/;

/** A server name: hostname, IPv4 literal or [IPv6] literal, with an optional port. */
const SERVER_NAME_RE =
  /^(?:\[[0-9A-Fa-f:.]{2,45}\]|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9-.]{0,253}))(?::\d{1,5})?$/;

export const MAX_USER_ID_LENGTH = 255;

export function isValidServerName(name: string): boolean {
  if (!SERVER_NAME_RE.test(name)) return false;
  const port = name.match(/:(\d+)$/);
  return !port || (Number(port[1]) > 0 && Number(port[1]) < 65536);
}

/** True when `localpart` may be used for a new account (strict grammar). */
export function isValidLocalpart(localpart: string): boolean {
  return LOCALPART_RE.test(localpart);
}

export interface UserId {
  localpart: string;
  serverName: string;
}

/** Parses `@localpart:server`, accepting historical localparts; null when malformed. */
export function parseUserId(userId: string): UserId | null {
  if (!userId.startsWith('@') || Buffer.byteLength(userId) > MAX_USER_ID_LENGTH) return null;
  const colon = userId.indexOf(':');
  if (colon < 2) return null;
  const localpart = userId.slice(1, colon);
  const serverName = userId.slice(colon + 1);
  if (!HISTORICAL_LOCALPART_RE.test(localpart) || !isValidServerName(serverName)) return null;
  return { localpart, serverName };
}

/** The server part of an id known to be valid (user, room alias, v1/v2 event id): after the first colon. */
export function serverPartOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

/** Whether `userId` (a valid user id) names a user of the server `serverName`. */
export function isUserOf(userId: string, serverName: string): boolean {
  return userId.includes(':') && serverPartOf(userId) === serverName;
}

/** The server of a user id from untrusted input, or undefined when it is not a valid one. */
export function userServerOf(userId: unknown): string | undefined {
  return typeof userId === 'string' ? parseUserId(userId)?.serverName : undefined;
}

/** Whether untrusted `userId` is a valid user id of the server `serverName`. */
export function isValidUserOf(userId: unknown, serverName: string): userId is string {
  return userServerOf(userId) === serverName;
}

export function makeUserId(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}
