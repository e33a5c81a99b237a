-- The device-list stream of each local user as other servers see it (server-server API
-- "Device Management"): the stream_id of the newest m.device_list_update made for the user.
-- The next update takes the next id and names this one in its prev_id; GET /user/devices
-- answers with it. Kept across restarts: other servers find lost updates by the gaps in a
-- user's ids, and read the whole list again when they see one.
CREATE TABLE device_list_outbound_streams (
  user_id TEXT PRIMARY KEY,
  stream_id INTEGER NOT NULL
);
