/**
 * Reading `content.m.relates_to` (client-server API "Forming relationships between events",
 * definitions/m.relates_to.yaml). Content is untrusted: anything that does not match the
 * schema is no relation at all ("Relationships which don't match the schema ... are simply
 * ignored"). Rich replies (`m.in_reply_to` without a `rel_type`) are not relations here.
 */

export interface Relation {
  relType: string;
  /** The parent event's id. */
  eventId: string;
}

/** The longest rel_type kept; namespaced identifiers are short (the grammar caps them at 255). */
const MAX_REL_TYPE = 255;

/** The relation an event's content declares, or null when it declares none or a malformed one. */
export function relationOf(content: unknown): Relation | null {
  if (typeof content !== 'object' || content === null) return null;
  const rel = (content as Record<string, unknown>)['m.relates_to'];
  if (typeof rel !== 'object' || rel === null || Array.isArray(rel)) return null;
  const { rel_type: relType, event_id: eventId } = rel as Record<string, unknown>;
  if (typeof relType !== 'string' || relType === '' || relType.length > MAX_REL_TYPE) return null;
  if (typeof eventId !== 'string' || !eventId.startsWith('$') || eventId.length > 255) return null;
  return { relType, eventId };
}
