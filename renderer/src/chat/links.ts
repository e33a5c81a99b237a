/**
 * What a person may paste to join a room: an alias (#room:server), a room id (!id:server),
 * a matrix.to link (https://matrix.to/#/#room:server?via=other) or a matrix: URI
 * (matrix:r/room:server, matrix:roomid/id:server?via=other; spec appendix "Matrix URI scheme").
 */
export interface JoinTarget {
  /** The alias or room id to pass to /join. */
  target: string;
  /** Servers to try the join through (a link's `via` parameters). */
  via: string[];
}

const ALIAS = /^#[^:\s]+:[^\s]+$/;
const ROOM_ID = /^![^:\s]+:[^\s]+$/;
const USER_ID = /^@[^:\s]+:[^\s]+$/;

/** True for a full Matrix user id (@name:server). */
export function isUserId(s: string): boolean {
  return USER_ID.test(s.trim());
}

function viaOf(query: string): string[] {
  return new URLSearchParams(query)
    .getAll('via')
    .map((v) => v.trim())
    .filter(Boolean);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a join target, or returns null when the text is none of the accepted forms. */
export function parseJoinTarget(input: string): JoinTarget | null {
  const s = input.trim();
  if (ALIAS.test(s) || ROOM_ID.test(s)) return { target: s, via: [] };

  const toMatch = /^(?:https?:\/\/)?matrix\.to\/#\/([^?]+)(?:\?(.*))?$/i.exec(s);
  if (toMatch) {
    // matrix.to puts an event id after the room (#/!room:server/$event): only the room counts.
    const first = safeDecode(toMatch[1]!).split('/')[0]!;
    if (ALIAS.test(first) || ROOM_ID.test(first)) {
      return { target: first, via: viaOf(toMatch[2] ?? '') };
    }
    return null;
  }

  const uri = /^matrix:(r|roomid)\/([^/?]+)(?:\/e\/[^?]*)?(?:\?(.*))?$/i.exec(s);
  if (uri) {
    const sigil = uri[1]!.toLowerCase() === 'r' ? '#' : '!';
    const target = sigil + safeDecode(uri[2]!);
    if (ALIAS.test(target) || ROOM_ID.test(target)) {
      return { target, via: viaOf(uri[3] ?? '') };
    }
  }
  return null;
}
