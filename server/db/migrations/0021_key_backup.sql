-- Server-side key backups (client-server API, "Server-side key backups"): each user's backup
-- versions and the encrypted megolm session keys stored in them. The server never reads
-- the keys; it only chooses which copy of a session to keep (server/e2ee/backup/replace.ts).
CREATE TABLE key_backup_versions (
  user_id TEXT NOT NULL,
  -- per user, 1, 2, 3...; a deleted version keeps its row (deleted = 1) so that its
  -- number is never handed out again
  version INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  auth_data_json TEXT NOT NULL,
  -- bumped whenever the version's keys change; answered as the opaque `etag`
  etag INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, version)
);

CREATE TABLE key_backup_sessions (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  room_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  first_message_index INTEGER NOT NULL,
  forwarded_count INTEGER NOT NULL,
  is_verified INTEGER NOT NULL,
  -- the algorithm-dependent, client-encrypted session_data object
  session_data_json TEXT NOT NULL,
  PRIMARY KEY (user_id, version, room_id, session_id)
);
