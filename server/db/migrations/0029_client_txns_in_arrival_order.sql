-- Client transaction ids in the order they arrive, with no index.
--
-- Keyed by (user, device, scope, txn id) (0028), each send put its row at its own device's
-- place in the B-tree: in a group commit of sends from many devices, one page each, plus
-- page splits, since txn ids arrive in no key order. That was 29% of the WAL pages of a
-- commit of 15 sends from 15 devices, and the COMMIT's writes are on the event loop.
-- Now the rows are appended in rowid order (a page holds some thirty sends), and the
-- idempotency lookup is an in-memory index of the last day's rows (events/client-txns.ts),
-- loaded from this table on first use after a start. Rows older than a day are deleted
-- from the head of the table.
--
-- An older Hearth (schema 28) can still run on this: its insert names the same columns and
-- its lookup, though no longer a key search, finds the same rows.

CREATE TABLE client_txns_new (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ts INTEGER NOT NULL
);
INSERT INTO client_txns_new (user_id, device_id, scope, txn_id, event_id, created_ts)
  SELECT user_id, device_id, scope, txn_id, event_id, created_ts FROM client_txns
  ORDER BY created_ts;
DROP TABLE client_txns;
ALTER TABLE client_txns_new RENAME TO client_txns;
