/**
 * The shapes the authorization rules work on (spec "Room Versions", "Authorization rules").
 * An event is a plain object as it travels over federation; only the fields the rules read
 * are typed, and every content field is `unknown` until a rule has checked it.
 */

/** An event as the auth rules see it: a PDU, or a state event from the room's state. */
export interface AuthEvent {
  /** Known for stored events; events of v3+ rooms carry it only once it has been computed. */
  event_id?: string;
  type: string;
  state_key?: string;
  sender: string;
  room_id?: string;
  content: Record<string, unknown>;
  /** Event ids (v3+) or `[event_id, hashes]` pairs (v1-v2). */
  prev_events?: unknown[];
  /** The redacted event's id, top-level in v1-v10 (m.room.redaction). */
  redacts?: string;
  signatures?: Record<string, Record<string, string>>;
}

/** The state an event is checked against: `(type, state_key) => event`, or undefined. */
export type AuthState = (type: string, stateKey: string) => AuthEvent | undefined;

/**
 * The outcome of the rules: allowed, or refused with the rule that refused it
 * (`v<room version> <number in that version's list>`, e.g. `v10 4.3.2`) and a reason that
 * can be shown to a client in M_FORBIDDEN.
 */
export type AuthResult = { ok: true } | { ok: false; rule: string; reason: string };

/** Whether the event carries a signature from `serverName` (see options of checkEventAuth). */
export type SignedByServer = (event: AuthEvent, serverName: string) => boolean;

export const ALLOW: AuthResult = { ok: true };

/** A refusal citing rule `number` of room version `versionId`. */
export function deny(versionId: string, number: string, reason: string): AuthResult {
  return { ok: false, rule: `v${versionId} ${number}`, reason };
}

/** The server name of a user id or event id (`@a:b` / `$x:b` -> `b`), or undefined. */
export function domainOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : id.slice(colon + 1);
}

/** A member's current membership (`leave` when there is no member event). */
export function membershipOf(state: AuthState, userId: string): string {
  const m = state('m.room.member', userId)?.content.membership;
  return typeof m === 'string' ? m : 'leave';
}
