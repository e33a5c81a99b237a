-- Client transaction ids in one B-tree per send instead of three.
--
-- event_txn_ids was a rowid table with two indexes: its primary key (user, device, scope,
-- txn id) and event_txn_ids_by_event (event id). Every send dirtied a page of each in its
-- commit, the last one at a random place (event ids are random): about 2.4 WAL pages an
-- event, a fifth of a send's commit. Now:
--
-- * client_txns, WITHOUT ROWID, keyed by the primary key: the send's idempotency check
--   (getTxnEvent) is one descent of the one B-tree the row lives in;
-- * the other direction (event -> its sender's device and txn id, for /sync's
--   `unsigned.transaction_id`) is two columns of the event's own row, which the send
--   writes anyway; the event-id index of `events` already finds it.
-- * event_txn_ids stays as a read-only view over those columns, so its readers (the
--   sync store) keep working unchanged and keep using the events' event-id index.
--
-- An older Hearth would write sends without those columns (losing transaction_id in
-- /sync silently) and fail to insert into the view: migrate.ts's compat version is 28.

CREATE TABLE client_txns (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, scope, txn_id)
) WITHOUT ROWID;
INSERT INTO client_txns (user_id, device_id, scope, txn_id, event_id, created_ts)
  SELECT user_id, device_id, scope, txn_id, event_id, created_ts FROM event_txn_ids;

-- The device and transaction id the event was sent with (its sender is the user); null
-- for events not sent through a client transaction.
ALTER TABLE events ADD COLUMN txn_device_id TEXT;
ALTER TABLE events ADD COLUMN txn_id TEXT;
UPDATE events SET txn_device_id = t.device_id, txn_id = t.txn_id
  FROM event_txn_ids t
  WHERE t.event_id = events.event_id AND t.user_id = events.sender;

DROP TABLE event_txn_ids;
CREATE VIEW event_txn_ids AS
  SELECT sender AS user_id, txn_device_id AS device_id, txn_id, event_id
  FROM events WHERE txn_id IS NOT NULL;
