-- The server-side search index (client-server API "Server Side Search"): one FTS5 row per
-- searchable event, whose rowid is the event's stream_ordering (readers join `events` on
-- it). The searched text is content.body of m.room.message, content.name of m.room.name and
-- content.topic (plus the text/plain m.topic representations) of m.room.topic, written
-- beside the event in its own transaction (server/search/index-hook.ts).
--
-- Contentless (content=''): the text is already in event_json, so the index keeps only its
-- tokens; contentless_delete lets a redaction drop a row. unicode61 with remove_diacritics
-- makes "cafe" find "Café".

CREATE VIRTUAL TABLE event_search USING fts5 (
  value,
  content = '',
  contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- A redaction takes effect by setting events.redacted_by (wherever it is applied: the
-- client API, federation later); the redacted text must stop being findable at that very
-- commit, so the index follows the column. Readers also skip redacted events.
CREATE TRIGGER event_search_forget_redacted AFTER UPDATE OF redacted_by ON events
  WHEN NEW.redacted_by IS NOT NULL
BEGIN
  DELETE FROM event_search WHERE rowid = NEW.stream_ordering;
END;

-- An event deleted (a future room purge) leaves no row behind.
CREATE TRIGGER event_search_forget_deleted AFTER DELETE ON events
BEGIN
  DELETE FROM event_search WHERE rowid = OLD.stream_ordering;
END;

-- Events persisted before this migration: the same keys, read from their JSON.
INSERT INTO event_search (rowid, value)
  SELECT e.stream_ordering, json_extract(j.json, CASE e.type
      WHEN 'm.room.message' THEN '$.content.body'
      WHEN 'm.room.name' THEN '$.content.name'
      ELSE '$.content.topic' END)
  FROM events e JOIN event_json j ON j.event_id = e.event_id
  WHERE e.type IN ('m.room.message', 'm.room.name', 'm.room.topic')
    AND e.outlier = 0 AND e.rejected_reason IS NULL AND e.redacted_by IS NULL
    AND json_type(j.json, CASE e.type
      WHEN 'm.room.message' THEN '$.content.body'
      WHEN 'm.room.name' THEN '$.content.name'
      ELSE '$.content.topic' END) = 'text';
