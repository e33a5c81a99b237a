-- Cross-signing (client-server API, "End-to-end encryption" > "Cross-signing"): the public
-- parts of local users' master, self-signing and user-signing keys, and the signatures
-- uploaded with POST /keys/signatures/upload. Keys of users of other servers are in
-- remote_cross_signing_keys (migration 0017).
CREATE TABLE cross_signing_keys (
  user_id TEXT NOT NULL,
  -- 'master', 'self_signing' or 'user_signing'
  key_type TEXT NOT NULL,
  -- the unpadded base64 ed25519 public key (its key id is 'ed25519:' || public_key)
  public_key TEXT NOT NULL,
  -- the CrossSigningKey object exactly as uploaded (with the signatures it came with)
  key_json TEXT NOT NULL,
  added_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, key_type)
);

-- Signatures added after the fact on a device key or a cross-signing key. A key is named the
-- way clients name it in /keys/signatures/upload: a device by its device id, a cross-signing
-- key by its public key (servers keep device ids and these public keys apart).
CREATE TABLE cross_signing_signatures (
  -- the user whose key made the signature, and that key's id ('ed25519:...')
  signer_user_id TEXT NOT NULL,
  signer_key_id TEXT NOT NULL,
  target_user_id TEXT NOT NULL,
  target_key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
);

-- Dropping what a replaced key signed.
CREATE INDEX cross_signing_signatures_signer
  ON cross_signing_signatures (signer_user_id, signer_key_id);
