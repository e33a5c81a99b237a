-- Rooms a server admin blocked (Synapse's admin API "Block Room"): local users may not
-- join, be invited to or knock on them. A row outlives a purge of the room, so a purged
-- room stays blocked.

CREATE TABLE blocked_rooms (
  room_id TEXT PRIMARY KEY,
  -- the admin who blocked it
  user_id TEXT NOT NULL,
  blocked_ts INTEGER NOT NULL
);
