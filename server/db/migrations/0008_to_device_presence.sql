-- To-device messages and presence (client-server API, "Send-to-Device messaging" and
-- "Presence"), each a /sync stream.
--
-- A to-device message is one inbox row per target device, deleted once that device syncs
-- with a token past it. Rows are deleted, so the stream position cannot be max(stream_id):
-- it is kept in its own one-row table, and sync tokens stay valid across restarts.

CREATE TABLE to_device_stream (
  position INTEGER NOT NULL
);
INSERT INTO to_device_stream (position) VALUES (0);

CREATE TABLE device_inbox (
  stream_id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  type TEXT NOT NULL,
  content_json TEXT NOT NULL
);
CREATE INDEX device_inbox_by_device ON device_inbox (user_id, device_id, stream_id);

-- Send idempotency: a retried PUT /sendToDevice/{eventType}/{txnId} is not delivered twice.
CREATE TABLE to_device_txns (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, event_type, txn_id)
);

-- One row per local user whose presence was ever set. A change a client can see takes the
-- next stream position (max(stream_id) + 1; rows are replaced, never deleted).
CREATE TABLE presence (
  user_id TEXT PRIMARY KEY,
  -- online | unavailable | offline
  state TEXT NOT NULL,
  status_msg TEXT,
  last_active_ts INTEGER NOT NULL,
  -- when a client of the user last synced or set presence (the offline timeout runs from it)
  last_sync_ts INTEGER NOT NULL,
  currently_active INTEGER NOT NULL,
  stream_id INTEGER NOT NULL
);
CREATE INDEX presence_by_stream ON presence (stream_id);
