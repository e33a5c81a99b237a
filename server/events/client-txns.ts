import { hash } from 'node:crypto';
import type { Queryable, Tx } from '../db/sql.js';
import type { PersistedEvent } from './persist.js';
import * as store from './store.js';
import { deleteOldest } from '../core/map-order.js';

/**
 * Client transaction ids of local sends (spec: "Transaction identifiers"): a retry of a
 * send with the same device, endpoint and txn id gets the first send's event instead of a
 * second event.
 *
 * The rows are in `client_txns` (migration 0029), appended in arrival order with no index,
 * so a send's row costs its group commit a share of the table's last page rather than a
 * page at its device's place in a B-tree (29% of a commit's WAL pages when it was keyed:
 * 0029's comment). The lookup is this in-memory index, loaded from the table on first use
 * after a start: a 96-bit digest of the key -> the row's id. A hit is checked against the
 * row itself (its key and age), so neither a digest collision nor an entry whose row is
 * gone can give a wrong answer, and the index holds about 80 bytes per send, not the key
 * and event id (about 550).
 *
 * Before that, from its sequencing until its commit is durable, a send is in flight here
 * (`track`), so a retry racing the first request waits for its answer.
 *
 * A transaction id is remembered for a day (like Synapse, and like this server's to-device
 * txn ids), and the index for at most `maxEntries` sends (the oldest go first), so it is
 * bounded however busy the server is. A retry comes seconds or minutes after its request;
 * one a day later is taken for a new request.
 */

export const RETENTION_MS = 24 * 60 * 60 * 1000;
/** How often a send also deletes the table's rows older than RETENTION_MS. */
export const PRUNE_EVERY_MS = 60 * 60 * 1000;

export interface TxnKey {
  userId: string;
  deviceId: string;
  /** The endpoint and its path parameters (rooms/room-state.ts, rooms/redact.ts). */
  scope: string;
  txnId: string;
}

/** A key with the forms of it that the index uses. */
export interface TxnRef {
  key: TxnKey;
  /** The key as one string (of the sends in flight). */
  keyString: string;
  /** 96 bits of the key string's SHA-256, as 16 characters of base64. */
  digest: string;
}

export function txnRef(key: TxnKey): TxnRef {
  const keyString = JSON.stringify([key.userId, key.deviceId, key.scope, key.txnId]);
  return { key, keyString, digest: digestOf(keyString) };
}

function digestOf(keyString: string): string {
  return hash('sha256', keyString, 'buffer').toString('base64', 0, 12);
}

export class ClientTxnIndex {
  /** Sends sequenced and not yet durable, by key string (events/persist.ts). */
  private pending = new Map<string, Promise<PersistedEvent>>();
  /** Digest of the key -> the row's id; in insertion order, so the oldest is first. */
  private rows = new Map<string, number>();
  private loaded: Promise<void> | null = null;
  private lastPruneTs: number;

  constructor(
    private readonly maxEntries: number,
    now: number,
  ) {
    // The first prune is due an interval after the start, not at the first send.
    this.lastPruneTs = now;
  }

  /** The send of this transaction id that is in flight, if one is. */
  inFlight(txn: TxnRef): Promise<PersistedEvent> | undefined {
    return this.pending.get(txn.keyString);
  }

  /**
   * Holds a send as in flight until it settles: answered once durable (by then `record`
   * has entered it in the index, at its commit) or failed.
   */
  track(txn: TxnRef, committed: Promise<PersistedEvent>): void {
    this.pending.set(txn.keyString, committed);
    const done = () => void this.pending.delete(txn.keyString);
    committed.then(done, done);
  }

  /** The event a committed transaction id was sent as, if it is remembered. */
  async lookup(db: Queryable, txn: TxnRef, now: number): Promise<string | undefined> {
    // A failed read is tried again by the next lookup.
    await (this.loaded ??= this.load(db, now).catch((err: unknown) => {
      this.loaded = null;
      throw err;
    }));
    const id = this.rows.get(txn.digest);
    if (id === undefined) return undefined;
    const row = await store.getClientTxn(db, id);
    const { key } = txn;
    return row &&
      row.user_id === key.userId &&
      row.device_id === key.deviceId &&
      row.scope === key.scope &&
      row.txn_id === key.txnId &&
      row.created_ts > now - RETENTION_MS
      ? row.event_id
      : undefined;
  }

  /**
   * Writes the send's row in its unit and enters it in the index at the commit (a retry
   * from then on finds it; until then the send is in flight: events/persist.ts). Once an
   * hour, the unit also deletes the rows that have aged out.
   */
  async record(tx: Tx, txn: TxnRef, eventId: string, now: number): Promise<void> {
    const id = await store.insertClientTxn(tx, { ...txn.key, eventId, createdTs: now });
    if (now - this.lastPruneTs >= PRUNE_EVERY_MS) {
      // Set now, so the other sends of this group commit do not prune again; should this
      // unit roll back, the rows wait for the next hour.
      this.lastPruneTs = now;
      await store.deleteClientTxnsUpTo(tx, now - RETENTION_MS);
    }
    tx.onCommit(() => this.add(txn.digest, id));
  }

  /** Drops the entries of deleted rows (a purged room: admin/room-purge.ts). */
  forgetRows(ids: ReadonlySet<number>): void {
    if (!ids.size) return;
    for (const [d, id] of this.rows) if (ids.has(id)) this.rows.delete(d);
  }

  /** How many sends the index holds (for tests). */
  get size(): number {
    return this.rows.size;
  }

  private add(d: string, id: number): void {
    this.rows.delete(d);
    this.rows.set(d, id);
    if (this.rows.size > this.maxEntries) deleteOldest(this.rows);
  }

  /**
   * Reads the last day's rows, newest `maxEntries` of them. Sends committed while the read
   * is answered were entered by `add` meanwhile; they are newer than every row read, so
   * they go after them.
   */
  private async load(db: Queryable, now: number): Promise<void> {
    const rows = await store.listClientTxnsAfter(db, now - RETENTION_MS, this.maxEntries);
    const meanwhile = this.rows;
    this.rows = new Map();
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      const ref = txnRef({
        userId: r.user_id,
        deviceId: r.device_id,
        scope: r.scope,
        txnId: r.txn_id,
      });
      this.rows.set(ref.digest, r.id);
    }
    for (const [d, id] of meanwhile) this.add(d, id);
  }
}
