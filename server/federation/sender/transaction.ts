import type { OutboxEduRow } from './store.js';

/**
 * The body of PUT /_matrix/federation/v1/send/{txnId} (spec: "Transactions"; OpenAPI
 * transactions.yaml), and what its answer says about each PDU.
 */

/** The spec's limits per transaction. */
export const MAX_PDUS_PER_TXN = 50;
export const MAX_EDUS_PER_TXN = 100;

export interface TransactionBody {
  origin: string;
  origin_server_ts: number;
  pdus: Record<string, unknown>[];
  edus?: { edu_type: string; content: Record<string, unknown> }[];
}

/**
 * Builds the body from the queued rows, in queue order. Every queued m.presence goes into
 * one m.presence EDU at the place of the first; a presence `last_active_ts` becomes
 * `last_active_ago` as of `now`. Rows whose JSON cannot be read are left out.
 */
export function buildTransactionBody(a: {
  origin: string;
  ts: number;
  now: number;
  pdus: Record<string, unknown>[];
  edus: readonly OutboxEduRow[];
}): TransactionBody {
  const edus: { edu_type: string; content: Record<string, unknown> }[] = [];
  let presence: Record<string, unknown>[] | null = null;
  for (const row of a.edus) {
    let content: Record<string, unknown>;
    try {
      content = JSON.parse(row.content_json) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (row.edu_type !== 'm.presence') {
      edus.push({ edu_type: row.edu_type, content });
      continue;
    }
    const push = Array.isArray(content.push) ? (content.push as Record<string, unknown>[]) : [];
    if (presence === null) {
      presence = [];
      edus.push({ edu_type: 'm.presence', content: { push: presence } });
    }
    for (const entry of push) presence.push(withLastActiveAgo(entry, a.now));
  }
  return {
    origin: a.origin,
    origin_server_ts: a.ts,
    pdus: a.pdus,
    ...(edus.length ? { edus } : {}),
  };
}

function withLastActiveAgo(entry: Record<string, unknown>, now: number): Record<string, unknown> {
  const { last_active_ts: ts, ...rest } = entry;
  return typeof ts === 'number'
    ? { ...rest, last_active_ago: Math.max(0, now - ts) }
    : { ...rest, last_active_ago: 0 };
}

/** The per-PDU errors of a 200 answer: `{ pdus: { $event_id: { error } } }`. */
export function pduErrors(body: unknown): { eventId: string; error: string }[] {
  if (typeof body !== 'object' || body === null) return [];
  const pdus = (body as { pdus?: unknown }).pdus;
  if (typeof pdus !== 'object' || pdus === null) return [];
  const out: { eventId: string; error: string }[] = [];
  for (const [eventId, result] of Object.entries(pdus as Record<string, unknown>)) {
    const error = (result as { error?: unknown } | null)?.error;
    if (typeof error === 'string') out.push({ eventId, error });
  }
  return out;
}
