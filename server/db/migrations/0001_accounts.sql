-- Accounts: users, their devices, access and refresh tokens (stored as SHA-256 hashes),
-- profile fields, registration tokens and User-Interactive Auth sessions.

CREATE TABLE users (
  user_id TEXT PRIMARY KEY,
  password_hash TEXT,
  created_ts INTEGER NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0,
  is_guest INTEGER NOT NULL DEFAULT 0,
  user_type TEXT,
  -- a deactivated account keeps its row forever so its name is never handed out again
  deactivated INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE devices (
  user_id TEXT NOT NULL REFERENCES users (user_id),
  device_id TEXT NOT NULL,
  display_name TEXT,
  created_ts INTEGER NOT NULL,
  last_seen_ts INTEGER,
  last_seen_ip TEXT,
  last_seen_user_agent TEXT,
  PRIMARY KEY (user_id, device_id)
);

CREATE TABLE refresh_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  expiry_ts INTEGER,
  -- the refresh token issued in exchange for this one; this one dies once that is used
  next_token_id INTEGER REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);

CREATE TABLE access_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  valid_until_ms INTEGER,
  refresh_token_id INTEGER REFERENCES refresh_tokens (id) ON DELETE CASCADE,
  -- set on the first request made with this token
  used INTEGER NOT NULL DEFAULT 0,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_by_device ON access_tokens (user_id, device_id);

CREATE TABLE profiles (
  user_id TEXT NOT NULL REFERENCES users (user_id),
  field TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (user_id, field)
);

CREATE TABLE registration_tokens (
  token TEXT PRIMARY KEY,
  uses_allowed INTEGER,
  pending INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  expiry_time INTEGER
);

CREATE TABLE ui_auth_sessions (
  session_id TEXT PRIMARY KEY,
  created_ts INTEGER NOT NULL,
  uri TEXT NOT NULL,
  method TEXT NOT NULL,
  user_id TEXT,
  -- stage type -> what completing it established (a user id, a token, true)
  completed_json TEXT NOT NULL DEFAULT '{}',
  -- the parameters of the first request, replayed for the completing request (registration)
  params_json TEXT NOT NULL DEFAULT '{}'
);
