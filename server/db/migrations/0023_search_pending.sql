-- Search text waiting to enter the FTS5 index (server/search/index-queue.ts). An FTS5 table
-- flushes its pending terms into a new segment at every commit, which made each event's
-- commit cost about four times as much as without the index; events now write their text
-- here (a plain b-tree row) and a batch moves into event_search in one commit, shortly after
-- or before any search reads the index. Rows are the same as event_search's: rowid the
-- event's stream_ordering.

CREATE TABLE event_search_pending (
  stream_ordering INTEGER PRIMARY KEY,
  value TEXT NOT NULL
);

-- Redacted or deleted before the batch moved: never indexed (as migration 0010's triggers
-- do for the index itself).
CREATE TRIGGER event_search_pending_forget_redacted AFTER UPDATE OF redacted_by ON events
  WHEN NEW.redacted_by IS NOT NULL
BEGIN
  DELETE FROM event_search_pending WHERE stream_ordering = NEW.stream_ordering;
END;

CREATE TRIGGER event_search_pending_forget_deleted AFTER DELETE ON events
BEGIN
  DELETE FROM event_search_pending WHERE stream_ordering = OLD.stream_ordering;
END;
