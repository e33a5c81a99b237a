-- The outgoing federation queue (server/federation/sender/): one persistent queue of PDUs
-- and EDUs per destination server, and each destination's retry state, so that nothing
-- queued is lost across a crash or a restart and the backoff survives it too.
-- See docs/federation.md, "Sending to other servers".

-- One row per server we have queued something for.
CREATE TABLE federation_destinations (
  destination TEXT PRIMARY KEY,
  -- when the current run of failures started (null while the destination is up)
  failure_ts INTEGER,
  -- when the last failed attempt was made (0 while the destination is up)
  retry_last_ts INTEGER NOT NULL DEFAULT 0,
  -- how long after retry_last_ts the next attempt is due (0 while the destination is up)
  retry_interval_ms INTEGER NOT NULL DEFAULT 0,
  -- the last transaction number used towards this destination
  txn_seq INTEGER NOT NULL DEFAULT 0,
  -- the transaction in flight: its id and timestamp stay the same on every retry, and the
  -- queued rows it holds carry the same txn_id (null: none in flight)
  txn_id TEXT,
  txn_ts INTEGER
);

-- PDUs by reference: the event's JSON stays in event_json. Queued in the event's own
-- writer unit, so a committed event is always either queued or already sent.
CREATE TABLE federation_outbox_pdus (
  destination TEXT NOT NULL,
  stream_ordering INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  queued_ts INTEGER NOT NULL,
  -- the transaction that holds it, once one does
  txn_id TEXT,
  PRIMARY KEY (destination, stream_ordering)
);

-- EDUs as JSON, in the order queued (id).
CREATE TABLE federation_outbox_edus (
  id INTEGER PRIMARY KEY,
  destination TEXT NOT NULL,
  edu_type TEXT NOT NULL,
  -- a newer EDU with the same (destination, edu_type, coalesce_key) replaces this one while
  -- no transaction holds it (typing, presence, receipts); null: never replaced
  coalesce_key TEXT,
  content_json TEXT NOT NULL,
  queued_ts INTEGER NOT NULL,
  txn_id TEXT
);
CREATE INDEX federation_outbox_edus_by_destination ON federation_outbox_edus (destination, id);
CREATE UNIQUE INDEX federation_outbox_edus_superseding
  ON federation_outbox_edus (destination, edu_type, coalesce_key)
  WHERE coalesce_key IS NOT NULL AND txn_id IS NULL;
