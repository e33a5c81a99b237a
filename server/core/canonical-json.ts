/**
 * Canonical JSON (spec appendices, "Canonical JSON"): object keys sorted by Unicode code
 * point, no insignificant whitespace, integers only in [-(2^53)+1, 2^53-1], shortest
 * UTF-8 form (no escapes but the ones JSON requires).
 *
 * Keys are compared by code point, not by UTF-16 unit as Array.prototype.sort does: the two
 * orders differ for keys mixing astral characters with U+E000..U+FFFF.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export class CanonicalJsonError extends Error {}

function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** True when `s` is BMP-only (no surrogates), so UTF-16 order equals code point order. */
function isBmp(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return false;
  }
  return true;
}

/**
 * Sorts `keys` in place by code point. An event's objects have a handful of keys each, and
 * Array.prototype.sort copies the array it sorts: an insertion sort of up to
 * INSERTION_SORT_MAX keys allocates nothing (about a third of what encoding an event
 * allocated). Keys with surrogates take the code point comparison.
 */
function sortKeys(keys: string[]): string[] {
  for (let i = 0; i < keys.length; i++) if (!isBmp(keys[i]!)) return keys.sort(compareCodePoints);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

const INSERTION_SORT_MAX = 16;

/**
 * Encodes `value` as canonical JSON. Throws CanonicalJsonError for values the canonical form
 * cannot hold (non-integers, integers out of range, undefined, functions).
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isInteger(value) || value > MAX_SAFE || value < -MAX_SAFE) {
        throw new CanonicalJsonError(`number ${value} is not an integer in the canonical range`);
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      // String concatenation rather than map/join: every event is encoded several times
      // (content hash, signature, size), so this is on the path of every send.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += canonicalJson(value[i]);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      return encodeObject(obj, sortKeys(Object.keys(obj)));
    }
    default:
      throw new CanonicalJsonError(`value of type ${typeof value} cannot be encoded`);
  }
}

/**
 * canonicalJson of the object `obj` less its top-level keys in `omit`. Content hashes and
 * signatures cover an event less a few keys (`signatures`, `unsigned`, `hashes`); copying
 * the event without them first (`const { signatures, ...rest } = event`) goes through V8's
 * slow path for rest properties, several µs for each event sent.
 */
export function canonicalJsonWithout(
  obj: Record<string, unknown>,
  omit: ReadonlySet<string>,
): string {
  return encodeObject(obj, sortKeys(Object.keys(obj).filter((k) => !omit.has(k))));
}

function encodeObject(obj: Record<string, unknown>, sortedKeys: string[]): string {
  let out = '{';
  for (let i = 0; i < sortedKeys.length; i++) {
    if (i > 0) out += ',';
    out += JSON.stringify(sortedKeys[i]) + ':' + canonicalJson(obj[sortedKeys[i]!]);
  }
  return out + '}';
}
