/**
 * What the search index holds of an event (client-server API "Server Side Search",
 * `room_events`): content.body of m.room.message, content.name of m.room.name, and of
 * m.room.topic content.topic as well as the `text/plain` bodies of `content['m.topic']`.
 * Content is untrusted: anything that is not a string is skipped, nothing here throws.
 */

/** The search keys a client may name, and the event type each one searches. */
export const SEARCH_KEYS = {
  'content.body': 'm.room.message',
  'content.name': 'm.room.name',
  'content.topic': 'm.room.topic',
} as const;

export type SearchKey = keyof typeof SEARCH_KEYS;

/** The event types searched for `keys` (all of them when none are named). */
export function typesForKeys(keys: readonly SearchKey[] | undefined): string[] {
  const chosen = keys?.length ? keys : (Object.keys(SEARCH_KEYS) as SearchKey[]);
  return [...new Set(chosen.map((k) => SEARCH_KEYS[k]))];
}

/** The text of an event that search looks at, or null when it has none. */
export function searchableText(type: string, content: unknown): string | null {
  if (typeof content !== 'object' || content === null) return null;
  const c = content as Record<string, unknown>;
  switch (type) {
    case 'm.room.message':
      return nonEmpty(c.body);
    case 'm.room.name':
      return nonEmpty(c.name);
    case 'm.room.topic':
      return topicText(c);
    default:
      return null;
  }
}

function topicText(c: Record<string, unknown>): string | null {
  const parts = new Set<string>();
  const topic = nonEmpty(c.topic);
  if (topic) parts.add(topic);
  // m.topic (spec v1.15) is a content block: { "m.text": [{ body, mimetype? }] }; a
  // representation without a mimetype is text/plain.
  const block = c['m.topic'];
  const texts =
    typeof block === 'object' && block !== null
      ? (block as Record<string, unknown>)['m.text']
      : undefined;
  if (Array.isArray(texts)) {
    for (const t of texts as unknown[]) {
      if (typeof t !== 'object' || t === null) continue;
      const { body, mimetype } = t as Record<string, unknown>;
      if ((mimetype === undefined || mimetype === 'text/plain') && nonEmpty(body)) {
        parts.add(body as string);
      }
    }
  }
  return parts.size ? [...parts].join('\n') : null;
}

function nonEmpty(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}
