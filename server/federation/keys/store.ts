import type { Queryable } from '../../db/sql.js';

/**
 * SQL for other servers' signing keys (migration 0013): the newest accepted answer of each
 * server (server_key_responses) and every key ever seen (server_signing_keys).
 */

export interface StoredKeyResponse {
  serverName: string;
  fromServer: string;
  validUntilTs: number;
  fetchedTs: number;
  /** The signed answer as received. */
  responseJson: string;
}

export interface StoredSigningKey {
  serverName: string;
  keyId: string;
  verifyKey: string;
  /** Until when the key may be used (capped; an old key's expired_ts). */
  validUntilTs: number;
  expiredTs: number | null;
  fetchedTs: number;
}

interface RawResponse {
  server_name: string;
  from_server: string;
  valid_until_ts: number;
  fetched_ts: number;
  response_json: string;
}

interface RawKey {
  server_name: string;
  key_id: string;
  verify_key: string;
  valid_until_ts: number;
  expired_ts: number | null;
  fetched_ts: number;
}

/** The newest accepted key answer of `serverName`, if any. */
export async function getKeyResponse(
  q: Queryable,
  serverName: string,
): Promise<StoredKeyResponse | undefined> {
  const r = await q.get<RawResponse>(
    `SELECT server_name, from_server, valid_until_ts, fetched_ts, response_json
       FROM server_key_responses WHERE server_name = ?`,
    serverName,
  );
  return (
    r && {
      serverName: r.server_name,
      fromServer: r.from_server,
      validUntilTs: r.valid_until_ts,
      fetchedTs: r.fetched_ts,
      responseJson: r.response_json,
    }
  );
}

/** Replaces the stored key answer of a server. */
export async function putKeyResponse(q: Queryable, r: StoredKeyResponse): Promise<void> {
  await q.run(
    `INSERT INTO server_key_responses
       (server_name, from_server, valid_until_ts, fetched_ts, response_json)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (server_name) DO UPDATE SET
       from_server = excluded.from_server, valid_until_ts = excluded.valid_until_ts,
       fetched_ts = excluded.fetched_ts, response_json = excluded.response_json`,
    r.serverName,
    r.fromServer,
    r.validUntilTs,
    r.fetchedTs,
    r.responseJson,
  );
}

/** One known key of a server, if it was ever seen. */
export async function getSigningKey(
  q: Queryable,
  serverName: string,
  keyId: string,
): Promise<StoredSigningKey | undefined> {
  const r = await q.get<RawKey>(
    `SELECT server_name, key_id, verify_key, valid_until_ts, expired_ts, fetched_ts
       FROM server_signing_keys WHERE server_name = ? AND key_id = ?`,
    serverName,
    keyId,
  );
  return (
    r && {
      serverName: r.server_name,
      keyId: r.key_id,
      verifyKey: r.verify_key,
      validUntilTs: r.valid_until_ts,
      expiredTs: r.expired_ts,
      fetchedTs: r.fetched_ts,
    }
  );
}

/** Records a key of a server, replacing what was known of it. */
export async function putSigningKey(q: Queryable, k: StoredSigningKey): Promise<void> {
  await q.run(
    `INSERT INTO server_signing_keys
       (server_name, key_id, verify_key, valid_until_ts, expired_ts, fetched_ts)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (server_name, key_id) DO UPDATE SET
       verify_key = excluded.verify_key, valid_until_ts = excluded.valid_until_ts,
       expired_ts = excluded.expired_ts, fetched_ts = excluded.fetched_ts`,
    k.serverName,
    k.keyId,
    k.verifyKey,
    k.validUntilTs,
    k.expiredTs,
    k.fetchedTs,
  );
}
