-- Room aliases (the directory) and client transaction ids (send idempotency per device).

CREATE TABLE room_aliases (
  room_alias TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  creator TEXT NOT NULL,
  created_ts INTEGER NOT NULL
);
CREATE INDEX room_aliases_by_room ON room_aliases (room_id);

CREATE TABLE event_txn_ids (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, txn_id)
);
