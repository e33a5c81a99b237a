-- Memberships of local users in rooms this server is not in (server-server API "Inviting
-- to a room", "Knocking upon a room", "Leaving Rooms (Rejecting Invites)"): an invite from
-- another server, a knock sent to one, and the leave that rejects or retracts them. The
-- member event itself is stored in `events` as an outlier (it has a stream position, so
-- /sync orders it with everything else, but no state and no place in a room's DAG); this
-- table says which outliers are such memberships and holds what a client is shown with
-- them. See docs/federation.md, "Invites, leaves and knocks".
CREATE TABLE remote_memberships (
  -- the m.room.member event (an outlier in `events`)
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  -- invite | knock | leave
  membership TEXT NOT NULL,
  room_version TEXT NOT NULL,
  -- JSON array of the servers to reach the room through (the inviter's, the knock's)
  via_servers TEXT NOT NULL,
  -- JSON array of the stripped state events the invite or knock carried
  stripped_state TEXT NOT NULL
);
CREATE INDEX remote_memberships_by_user ON remote_memberships (user_id, room_id);
