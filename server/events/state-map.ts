/**
 * A room state: (event type, state key) -> event id. Keys join type and state key with a
 * NUL, which event types never contain (they are namespaced identifiers), so splitting at
 * the first NUL is unambiguous even for state keys that contain one.
 */
export type StateMap = ReadonlyMap<string, string>;

export function stateKeyId(type: string, stateKey: string): string {
  return `${type}\u0000${stateKey}`;
}

export function splitStateKeyId(key: string): [type: string, stateKey: string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** The entries of `next` that differ from `prev`: a null event id removes a key. */
export function stateDelta(prev: StateMap, next: StateMap): Map<string, string | null> {
  const delta = new Map<string, string | null>();
  for (const [k, v] of next) if (prev.get(k) !== v) delta.set(k, v);
  for (const k of prev.keys()) if (!next.has(k)) delta.set(k, null);
  return delta;
}
