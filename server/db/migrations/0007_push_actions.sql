-- Push actions: for each event that notifies a local user (by their push rules), one row
-- per user, the source of the unread notification counts in /sync. Counting reads the
-- rows of a user in a room after their read receipt, per thread ('main' or a thread root).
-- The user's own events mark their thread read up to them by deleting the rows before.
CREATE TABLE event_push_actions (
  user_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  stream_ordering INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  -- the actions of the rule that matched, as JSON (kept for pushers and /notifications)
  actions_json TEXT NOT NULL,
  -- 1 when the actions highlight (highlight_count), else 0
  highlight INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id, thread_id, stream_ordering)
) WITHOUT ROWID;
