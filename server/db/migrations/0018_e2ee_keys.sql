-- End-to-end encryption keys of local devices (client-server API, "End-to-End Encryption":
-- POST /keys/upload, /keys/query, /keys/claim) and the device-list stream (/sync
-- device_lists, GET /keys/changes). docs/e2ee.md describes them.

-- A device's signed DeviceKeys object, as its client uploaded it (without `unsigned`, which
-- the server fills in on the way out). One per device; deleted with the device.
CREATE TABLE e2e_device_keys (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  uploaded_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
);

-- One-time keys, each handed out once by /keys/claim (the row is deleted in the same writer
-- unit that reads it). `id` is the upload order, which is the order they are handed out in
-- (spec: "One-time keys are given out in the order that they were uploaded").
CREATE TABLE e2e_one_time_keys (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_json TEXT NOT NULL
);
-- Re-uploads are matched by id; counts per algorithm read this index alone.
CREATE UNIQUE INDEX e2e_one_time_keys_by_id
  ON e2e_one_time_keys (user_id, device_id, algorithm, key_id);
-- The next key to claim: the oldest of a device's keys of an algorithm.
CREATE INDEX e2e_one_time_keys_claim_order
  ON e2e_one_time_keys (user_id, device_id, algorithm, id);

-- At most one fallback key per device and algorithm; it stays when claimed, marked used,
-- until the device uploads another.
CREATE TABLE e2e_fallback_keys (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  key_id TEXT NOT NULL,
  key_json TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, device_id, algorithm)
);

-- The device-list stream: one row per change of a user's devices or keys (a local user's
-- key upload, device deletion or rename, cross-signing key; a remote user's update applied
-- from their server). `stream_id` is the position, the device_lists part of a sync token;
-- rows are never deleted, so the stream's position is max(stream_id), read by the primary
-- key, and a window of it (after, upTo] is a range of the primary key.
CREATE TABLE device_list_changes (
  stream_id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL
);
