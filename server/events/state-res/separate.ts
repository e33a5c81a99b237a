import type { StateMap } from '../state-map.js';

/** The state sets split into what they agree on and what they do not. */
export interface SeparatedState {
  /** Keys every set (v2) or every set holding them (v1) maps to one event. */
  unconflicted: Map<string, string>;
  /** The other keys, with every event the sets map them to. */
  conflicted: Map<string, Set<string>>;
}

/**
 * The unconflicted state map and the conflicted state set (spec rooms/v2 "Unconflicted
 * state map and conflicted state set"): a key is unconflicted when it is present in every
 * set with the same event. A key missing from some set is conflicted, even if the others
 * agree. For v1 (rooms/v1: "a conflict occurs between states where those states have
 * different event_ids for the same (event_type, state_key)"), pass `missingConflicts: false`:
 * a key some sets lack is unconflicted when the others agree, as Synapse reads it.
 */
export function separateStates(
  stateSets: readonly StateMap[],
  missingConflicts: boolean,
): SeparatedState {
  const unconflicted = new Map<string, string>();
  const conflicted = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (let i = 0; i < stateSets.length; i++) {
    for (const [key, id] of stateSets[i]!) {
      if (seen.has(key)) continue;
      seen.add(key);
      let values: Set<string> | undefined;
      let missing = i > 0;
      for (let j = i + 1; j < stateSets.length; j++) {
        const other = stateSets[j]!.get(key);
        if (other === undefined) {
          missing = true;
        } else if (other !== id) {
          values ??= new Set([id]);
          values.add(other);
        }
      }
      if (values) conflicted.set(key, values);
      else if (missing && missingConflicts) conflicted.set(key, new Set([id]));
      else unconflicted.set(key, id);
    }
  }
  return { unconflicted, conflicted };
}
