-- Per-user data about rooms: account data (global and per room; tags are the per-room
-- "m.tag" account data), read receipts, stored filters, and forgotten rooms.
-- Each change to account data and receipts takes the next position of its stream.

CREATE TABLE account_data (
  user_id TEXT NOT NULL,
  -- '' for global account data
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  content_json TEXT NOT NULL,
  stream_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_by_stream ON account_data (user_id, stream_id);

CREATE TABLE receipts (
  room_id TEXT NOT NULL,
  receipt_type TEXT NOT NULL,
  user_id TEXT NOT NULL,
  -- '' for an unthreaded receipt, else the thread root id or 'main'
  thread_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  stream_id INTEGER NOT NULL,
  PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_by_stream ON receipts (room_id, stream_id);

CREATE TABLE user_filters (
  user_id TEXT NOT NULL,
  filter_id INTEGER NOT NULL,
  filter_json TEXT NOT NULL,
  PRIMARY KEY (user_id, filter_id)
);

CREATE TABLE room_forgotten (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  PRIMARY KEY (user_id, room_id)
);
