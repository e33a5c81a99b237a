import { errors } from '../core/errors.js';

/**
 * `next_batch` tokens of /search (client-server API "Server Side Search", "Pagination").
 * Opaque to clients: base64url of a small JSON object holding
 * - `o`: the ordering it continues (a token of one ordering is refused for the other);
 * - `u`: the newest index position the first page saw; later pages ignore newer events,
 *   so pages do not shift as messages arrive;
 * - `c`: where to continue: for `recent` the stream position of the last event looked at
 *   (exclusive), for `rank` how many ranked matches were looked at;
 * - `g`: for a token given inside a group, the group it stays in (`room_id` or `sender`
 *   and its value), as the spec says a group's token returns more of that group.
 */

export type SearchOrder = 'rank' | 'recent';
export type GroupKey = 'room_id' | 'sender';

export interface BatchToken {
  order: SearchOrder;
  upTo: number;
  cursor: number;
  group: { key: GroupKey; value: string } | null;
}

interface Wire {
  o: SearchOrder;
  u: number;
  c: number;
  g?: [GroupKey, string];
}

export function encodeBatchToken(t: BatchToken): string {
  const wire: Wire = { o: t.order, u: t.upTo, c: t.cursor };
  if (t.group) wire.g = [t.group.key, t.group.value];
  return Buffer.from(JSON.stringify(wire)).toString('base64url');
}

/**
 * Reads a `next_batch` token for a request ordered by `order`.
 * @throws MatrixError 400 M_INVALID_PARAM when it is not a token of ours for that ordering.
 */
export function decodeBatchToken(raw: string, order: SearchOrder): BatchToken {
  const bad = () => errors.invalidParam('Invalid next_batch token');
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) throw bad();
  const { o, u, c, g } = wire as Record<string, unknown>;
  if (o !== 'rank' && o !== 'recent') throw bad();
  if (!isPosition(u) || !isPosition(c)) throw bad();
  if (o !== order) {
    throw errors.invalidParam(`This next_batch token continues a search ordered by ${o}`);
  }
  let group: BatchToken['group'] = null;
  if (g !== undefined) {
    if (!Array.isArray(g) || g.length !== 2) throw bad();
    const [key, value] = g as unknown[];
    if ((key !== 'room_id' && key !== 'sender') || typeof value !== 'string') throw bad();
    group = { key, value };
  }
  return { order: o, upTo: u, cursor: c, group };
}

function isPosition(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
