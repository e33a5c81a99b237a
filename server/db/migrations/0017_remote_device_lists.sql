-- Device lists and cross-signing keys of users of other servers, as their servers announce
-- them (m.device_list_update and m.signing_key_update EDUs), or as a resync reads them
-- (GET /_matrix/federation/v1/user/devices) when an update arrives after a gap. Kept for
-- users who share a room with this server; what end-to-end encryption reads for them.
CREATE TABLE remote_device_lists (
  user_id TEXT PRIMARY KEY,
  -- the stream id of the newest update applied (the user's server numbers them)
  stream_id INTEGER NOT NULL,
  -- 1 when a gap was seen and the resync failed: the list is to be read again before use
  stale INTEGER NOT NULL DEFAULT 0,
  updated_ts INTEGER NOT NULL
);

CREATE TABLE remote_devices (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  display_name TEXT,
  -- the device's signed DeviceKeys as its server sent them, or null
  keys_json TEXT,
  PRIMARY KEY (user_id, device_id)
);

CREATE TABLE remote_cross_signing_keys (
  user_id TEXT NOT NULL,
  -- 'master' or 'self_signing'
  key_type TEXT NOT NULL,
  key_json TEXT NOT NULL,
  PRIMARY KEY (user_id, key_type)
);
