-- Transaction ids are scoped by the request they belong to (client-server
-- "Transaction identifiers": the same id on another path is another request), so the
-- scope (endpoint, room and event type or target) joins the key. Rows from before carry
-- their room as scope. Also: an index for /timestamp_to_event.

CREATE TABLE event_txn_ids_scoped (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, scope, txn_id)
);
INSERT INTO event_txn_ids_scoped (user_id, device_id, scope, txn_id, event_id, created_ts)
  SELECT t.user_id, t.device_id, coalesce(e.room_id, ''), t.txn_id, t.event_id, t.created_ts
  FROM event_txn_ids t LEFT JOIN events e ON e.event_id = t.event_id;
DROP TABLE event_txn_ids;
ALTER TABLE event_txn_ids_scoped RENAME TO event_txn_ids;
CREATE INDEX event_txn_ids_by_event ON event_txn_ids (event_id);

CREATE INDEX events_by_room_ts ON events (room_id, origin_server_ts);
