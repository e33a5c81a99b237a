import { isObject } from './is-object.js';
/**
 * Dot-separated property paths (spec appendices, "Dot-separated property paths"): the path
 * syntax of a filter's `event_fields` and of push rule condition keys. `content.m\.relates_to`
 * names `m.relates_to` inside `content`; `\\` is a literal backslash; any other escape
 * (`\x`) is kept as it is, backslash included.
 *
 * Pure functions over plain JSON, shared by sync filters and push rule evaluation.
 */

/**
 * Splits a dot-separated property path into its property names, undoing the `\.` and `\\`
 * escapes (spec appendices, "Dot-separated property paths"). A trailing lone backslash is
 * kept as a literal backslash. Never throws.
 */
export function parseDottedPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\') {
      const next = path[i + 1];
      if (next === '.' || next === '\\') {
        current += next;
        i++;
      } else {
        current += ch;
      }
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * The value at a property path inside a JSON value, or `undefined` when some step is absent
 * or not an object. Only own properties count (`content.constructor` is absent, not
 * Object's constructor); arrays are not walked into.
 */
export function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** The value at a dot-separated (escaped) property path; see {@link parseDottedPath}. */
export function valueAtDottedPath(root: unknown, dottedPath: string): unknown {
  return valueAtPath(root, parseDottedPath(dottedPath));
}

/**
 * A copy of `event` holding only the properties named by a filter's `event_fields`
 * (client-server API, "Filtering": `Filter.event_fields`). Each entry is a dot-separated
 * path; a path that is absent from the event, or that runs through a non-object, adds
 * nothing. Absent or empty `fields` keeps the whole event, as Synapse does.
 */
export function applyEventFields<T extends object>(
  event: T,
  fields: readonly string[] | null | undefined,
): Partial<T> {
  if (!fields || fields.length === 0) return event;
  const out: Record<string, unknown> = {};
  for (const field of fields) copyPath(event, out, parseDottedPath(field));
  return out as Partial<T>;
}

function copyPath(src: unknown, dst: Record<string, unknown>, path: readonly string[]): void {
  const value = valueAtPath(src, path);
  if (value === undefined || path.length === 0) return;
  let to = dst;
  for (const key of path.slice(0, -1)) {
    const existing = to[key];
    const next: Record<string, unknown> = isObject(existing) ? existing : {};
    to[key] = next;
    to = next;
  }
  to[path[path.length - 1] as string] = structuredClone(value);
}
