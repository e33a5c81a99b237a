/**
 * The room versions the spec lists (spec "Room Versions"), all stable as of v1.19.
 * The per-version rules (event ids, auth, redaction) live with the event code; this list is
 * what config validation and /capabilities need.
 */
export const KNOWN_ROOM_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

/** The spec's recommended default for new rooms. */
export const RECOMMENDED_ROOM_VERSION = '12';

export function roomVersionStability(version: string): 'stable' | 'unstable' | undefined {
  return KNOWN_ROOM_VERSIONS.includes(version) ? 'stable' : undefined;
}
