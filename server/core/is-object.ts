/**
 * Whether `v` is a JSON object: not null and not an array. The shape check behind every
 * reading of untrusted JSON (request bodies, events, other servers' answers).
 */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
