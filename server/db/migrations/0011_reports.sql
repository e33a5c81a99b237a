-- Content reports (client-server "Reporting content"): events, rooms and users reported
-- by local users, for server admins to review through Synapse's admin API. One table per
-- kind, as Synapse keeps them, since each names a different target.

CREATE TABLE event_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_ts INTEGER NOT NULL,
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  -- the reporter
  user_id TEXT NOT NULL,
  reason TEXT,
  -- -100 (most offensive) .. 0, when the client sent one
  score INTEGER
);

CREATE TABLE room_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_ts INTEGER NOT NULL,
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  reason TEXT NOT NULL
);

CREATE TABLE user_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_ts INTEGER NOT NULL,
  target_user_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  reason TEXT NOT NULL
);
