-- Other servers' signing keys (server-server "Retrieving server keys").
--
-- server_key_responses keeps, per server, the newest signed answer to
-- /_matrix/key/v2/server that was accepted, exactly as received (with the server's own
-- signature, and a notary's when it came through one): the notary endpoints answer with
-- it, co-signed, and keep answering with it while the server is unreachable.
CREATE TABLE server_key_responses (
  server_name TEXT PRIMARY KEY,
  -- who answered: the server itself, or the notary that relayed it
  from_server TEXT NOT NULL,
  -- valid_until_ts as the server published it (not capped)
  valid_until_ts INTEGER NOT NULL,
  fetched_ts INTEGER NOT NULL,
  response_json TEXT NOT NULL
);

-- One row per key ever seen for a server, kept after the key leaves the server's answers:
-- events signed with it long ago must still be checked.
CREATE TABLE server_signing_keys (
  server_name TEXT NOT NULL,
  key_id TEXT NOT NULL,
  -- unpadded base64 ed25519 public key
  verify_key TEXT NOT NULL,
  -- until when the key may be used: for a current key the published valid_until_ts capped
  -- at 7 days after the fetch (keys_server.yaml); for an old key its expired_ts
  valid_until_ts INTEGER NOT NULL,
  -- set when the key was listed under old_verify_keys
  expired_ts INTEGER,
  fetched_ts INTEGER NOT NULL,
  PRIMARY KEY (server_name, key_id)
);
