-- /sync reads a user's membership events by state key on every request; without this
-- index that is a scan of the whole events table.
CREATE INDEX events_by_state_key ON events (state_key, type, stream_ordering)
  WHERE state_key IS NOT NULL;
