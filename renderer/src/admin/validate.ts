/**
 * Checks for the admin forms, run as the person types, so a request is only sent when it
 * can succeed as far as the page can tell. Each returns an error message or null. Pure
 * (no DOM), unit-tested under Node.
 */

/**
 * A user name (the localpart of a Matrix user ID). The spec's historical grammar allows
 * more, but new accounts are limited to a-z, 0-9 and ._=-/+ (client-server API, "User
 * Identifiers"); Synapse refuses anything else for registration too.
 */
export function checkUsername(name: string): string | null {
  const v = name.trim();
  if (v === '') return 'Enter a user name.';
  if (v.startsWith('@')) return 'Enter the name without the leading @ and without the server.';
  if (/[A-Z]/.test(v)) return 'User names are lower case.';
  if (!/^[a-z0-9._=\-/+]+$/.test(v)) {
    return 'Use only letters a–z, digits and . _ = - / +';
  }
  if (v.length > 200) return 'That user name is too long.';
  return null;
}

/** The full user ID for a user name on this server: "alice" -> "@alice:example.org". */
export function userIdFor(name: string, serverName: string): string {
  return `@${name.trim()}:${serverName}`;
}

/** A new password and its confirmation. */
export function checkNewPassword(password: string, confirm: string): string | null {
  if (password === '') return 'Enter a password.';
  if (password.length < 8) return 'Use at least 8 characters.';
  if (confirm !== password) return 'The two passwords do not match.';
  return null;
}

/** A registration token's text: optional; Synapse allows A-Z a-z 0-9 . _ ~ - up to 64. */
export function checkTokenText(token: string): string | null {
  const v = token.trim();
  if (v === '') return null;
  if (v.length > 64) return 'A token is at most 64 characters.';
  if (!/^[A-Za-z0-9._~-]+$/.test(v)) return 'Use only letters, digits and . _ ~ -';
  return null;
}

/** How many registrations a token allows: empty means unlimited, else a whole number ≥ 1. */
export function checkUses(uses: string): string | null {
  const v = uses.trim();
  if (v === '') return null;
  if (!/^\d+$/.test(v)) return 'Enter a whole number, or leave empty for unlimited.';
  const n = Number(v);
  if (n < 1) return 'Allow at least one use, or leave empty for unlimited.';
  if (n > 1_000_000) return 'That is more uses than makes sense; leave empty for unlimited.';
  return null;
}

/**
 * The moment a token chosen to expire on `date` ("YYYY-MM-DD" from a date picker) stops
 * working: the end of that day in the person's time zone. Null for an empty or bad date.
 */
export function expiryFromDate(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(y, mo - 1, d, 23, 59, 59, 999);
  if (t.getFullYear() !== y || t.getMonth() !== mo - 1 || t.getDate() !== d) return null;
  return t.getTime();
}

/** An expiry date: empty means never; otherwise a real date that has not passed. */
export function checkExpiry(date: string, now: number): string | null {
  if (date.trim() === '') return null;
  const t = expiryFromDate(date);
  if (t === null) return 'Pick a date.';
  if (t <= now) return 'Pick a date in the future.';
  return null;
}

/** A "YYYY-MM-DD" for the date picker's min: today in the person's time zone. */
export function dateInputValue(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export interface TokenRequest {
  token?: string;
  uses_allowed: number | null;
  expiry_time: number | null;
}

/**
 * The body of POST /registration_tokens/new for the form's fields, or the first error.
 * `now` decides whether the expiry is in the future.
 */
export function tokenRequest(
  fields: { token: string; uses: string; expiry: string },
  now: number,
):
  | { ok: true; body: TokenRequest }
  | { ok: false; field: 'token' | 'uses' | 'expiry'; error: string } {
  const tokenError = checkTokenText(fields.token);
  if (tokenError) return { ok: false, field: 'token', error: tokenError };
  const usesError = checkUses(fields.uses);
  if (usesError) return { ok: false, field: 'uses', error: usesError };
  const expiryError = checkExpiry(fields.expiry, now);
  if (expiryError) return { ok: false, field: 'expiry', error: expiryError };
  const body: TokenRequest = {
    uses_allowed: fields.uses.trim() === '' ? null : Number(fields.uses.trim()),
    expiry_time: fields.expiry.trim() === '' ? null : expiryFromDate(fields.expiry),
  };
  if (fields.token.trim() !== '') body.token = fields.token.trim();
  return { ok: true, body };
}

/** A token's state as the list shows it. */
export function tokenStatus(
  t: {
    uses_allowed: number | null;
    pending: number;
    completed: number;
    expiry_time: number | null;
  },
  now: number,
): 'valid' | 'expired' | 'used up' {
  if (t.expiry_time !== null && t.expiry_time <= now) return 'expired';
  if (t.uses_allowed !== null && t.pending + t.completed >= t.uses_allowed) return 'used up';
  return 'valid';
}

/** Days for the media cache purge: a whole number of days ≥ 0. */
export function checkDays(days: string): string | null {
  const v = days.trim();
  if (!/^\d+$/.test(v)) return 'Enter a whole number of days.';
  if (Number(v) > 36_500) return 'That is too many days.';
  return null;
}
