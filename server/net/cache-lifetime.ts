import type { IncomingHttpHeaders } from 'node:http';

/**
 * How long an answer may be cached according to its headers (RFC 9111): `no-store` or
 * `no-cache` give 0; else `max-age`; else `Expires` minus `Date` (or minus `now` without a
 * Date). Null when the headers say nothing, so the caller applies its own default.
 */
export function cacheLifetimeMs(headers: IncomingHttpHeaders, now: number): number | null {
  const cc = (headers['cache-control'] ?? '').toLowerCase();
  const directives = new Map(
    cc
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [k = '', v = ''] = d.split('=', 2);
        return [k.trim(), v.trim().replace(/^"(.*)"$/, '$1')] as const;
      }),
  );
  if (directives.has('no-store') || directives.has('no-cache')) return 0;
  const maxAge = directives.get('max-age');
  if (maxAge !== undefined && /^\d+$/.test(maxAge)) return Number(maxAge) * 1000;
  const expires = headers.expires;
  if (expires !== undefined) {
    const at = Date.parse(expires);
    // An invalid Expires (often "0" or "-1") means already expired (RFC 9111 5.3).
    if (Number.isNaN(at)) return 0;
    const date = headers.date ? Date.parse(headers.date) : NaN;
    return Math.max(0, at - (Number.isNaN(date) ? now : date));
  }
  return null;
}
