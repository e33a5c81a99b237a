import { errors } from '../core/errors.js';

/**
 * Sync tokens (client-server API, "Syncing": `since` / `next_batch`): an opaque string of
 * stream positions:
 * `s<events>_<account_data>_<receipts>_<typing>_<to_device>_<presence>_<device_lists>`,
 * growing one `_<position>` per stream as streams arrive (docs/events-design.md). A token
 * that lacks the later streams reads them as 0, so tokens issued before a stream existed
 * (`s<events>`) stay valid; trailing zero positions are left off when formatting. The
 * typing position is held in memory only and restarts at 0 with the server
 * (server/userdata/typing.ts).
 *
 * The same `s<position>` form is a pagination token for /messages: "between the event at
 * `position` and the next one".
 */

/** The streams a token holds, in token order. New streams are appended, never reordered. */
export const STREAMS = [
  'events',
  'account_data',
  'receipts',
  'typing',
  'to_device',
  'presence',
  // The device-list stream of end-to-end encryption (server/e2ee/device-lists.ts).
  'device_lists',
] as const;

export type StreamName = (typeof STREAMS)[number];
export type StreamToken = Record<StreamName, number>;

const TOKEN_RE = /^s(0|[1-9]\d{0,15})((?:_(?:0|[1-9]\d{0,15}))*)$/;

/** Formats positions as a token; absent and trailing zero positions are left off. */
export function formatStreamToken(
  token: Pick<StreamToken, 'events'> & Partial<StreamToken>,
): string {
  const parts = STREAMS.map((s) => token[s] ?? 0);
  while (parts.length > 1 && parts[parts.length - 1] === 0) parts.pop();
  return `s${parts.join('_')}`;
}

/**
 * Reads a token as the client sent it.
 * @throws MatrixError 400 M_INVALID_PARAM when it is not one of ours: wrong shape, leading
 *   zeros, more positions than there are streams, or a position past 2^53.
 */
export function parseStreamToken(raw: string, param = 'since'): StreamToken {
  const m = TOKEN_RE.exec(raw);
  if (!m) throw errors.invalidParam(`Invalid ${param} token`);
  const parts = [m[1]!, ...m[2]!.split('_').slice(1)].map(Number);
  if (parts.length > STREAMS.length || !parts.every(Number.isSafeInteger)) {
    throw errors.invalidParam(`Invalid ${param} token`);
  }
  const token = {} as StreamToken;
  STREAMS.forEach((s, i) => (token[s] = parts[i] ?? 0));
  return token;
}
