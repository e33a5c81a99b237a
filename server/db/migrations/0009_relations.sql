-- The relations index (client-server API "Forming relationships between events"): one row
-- per event whose content carries a well-formed `m.relates_to` with a `rel_type`, written
-- beside the event in its own transaction (server/relations/index-hook.ts). It is what
-- /relations, /threads and the bundled aggregations (unsigned.m.relations) read. A redacted
-- child stops counting: readers join `events` and skip rows whose event has `redacted_by`.

CREATE TABLE event_relations (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  -- the parent: content.m.relates_to.event_id
  relates_to_id TEXT NOT NULL,
  rel_type TEXT NOT NULL,
  -- the child's event type and sender, so filters and edit checks need no JSON
  type TEXT NOT NULL,
  sender TEXT NOT NULL,
  stream_ordering INTEGER NOT NULL
);
-- The children of a parent, by relation type, in stream order (/relations, aggregations).
CREATE INDEX event_relations_by_parent
  ON event_relations (relates_to_id, rel_type, stream_ordering);
-- A room's thread events (GET /threads groups them by root).
CREATE INDEX event_relations_by_room
  ON event_relations (room_id, rel_type, relates_to_id, stream_ordering);
