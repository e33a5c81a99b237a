-- Dehydrated devices (MSC3814): at most one per user, a device with no access token whose
-- encrypted state (device_data) a client stores here and another of the user's clients
-- later rehydrates to read the to-device messages (room keys) sent to it. The row goes
-- with its device: deleting the device (DELETE /devices, a new dehydrated device, account
-- deactivation) deletes it.
CREATE TABLE dehydrated_devices (
  user_id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  device_data_json TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id) ON DELETE CASCADE
);
