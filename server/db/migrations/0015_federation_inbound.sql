-- What this server received from other servers (server/federation/receive/): the answers
-- to their transactions, so that a retried transaction is answered again and not processed
-- twice, and the to-device messages already delivered. Both are kept for a day and pruned.
-- See docs/federation.md, "Receiving from other servers".

-- One row per transaction processed: PUT /_matrix/federation/v1/send/{txnId} from `origin`.
-- A sender retries a transaction under the same id until it gets an answer (spec:
-- "Transactions"), so the same id from the same origin gets the stored answer again.
CREATE TABLE federation_inbound_txns (
  origin TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  -- the JSON body that was answered (status 200)
  response_json TEXT NOT NULL,
  received_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, txn_id)
);
CREATE INDEX federation_inbound_txns_by_ts ON federation_inbound_txns (received_ts);

-- m.direct_to_device messages delivered, by the message_id their origin gave them
-- (server-server "Send-to-device messaging": message_id is "used for idempotence"), so a
-- message that arrives again in another transaction is not delivered twice.
CREATE TABLE federation_inbound_to_device (
  origin TEXT NOT NULL,
  message_id TEXT NOT NULL,
  received_ts INTEGER NOT NULL,
  PRIMARY KEY (origin, message_id)
);
CREATE INDEX federation_inbound_to_device_by_ts ON federation_inbound_to_device (received_ts);
