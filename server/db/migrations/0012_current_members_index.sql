-- "Which rooms is this user in?" (joined rooms, presence's shared-room checks, the user
-- directory) reads a user's m.room.member rows of current_state by state key; the primary
-- key starts with room_id, so without this index each lookup scanned the whole table.
CREATE INDEX current_state_members_by_user ON current_state (state_key, room_id)
  WHERE type = 'm.room.member';
