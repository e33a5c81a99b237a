import type { Queryable, Tx } from '../db/sql.js';
import * as store from './store.js';

/**
 * Client transaction ids of local sends (spec: "Transaction identifiers"): a retry of a
 * send with the same device, endpoint and txn id gets the first send's event instead of a
 * second event.
 *
 * The lookup is this in-memory index; the table `client_txns` (migration 0029) only keeps
 * the rows across restarts, appended in arrival order with no index, so a send's row costs
 * its group commit a share of the table's last page rather than a page at its device's
 * place in a B-tree (29% of a commit's WAL pages when it was keyed: 0029's comment). The
 * index is loaded from the table on first use after a start.
 *
 * A transaction id is remembered for a day (like Synapse, and like this server's to-device
 * txn ids), and at most `maxEntries` of them (the oldest go first), so the index is bounded
 * however busy the server is. A retry comes seconds or minutes after its request; one a
 * day later is taken for a new request.
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

interface Entry {
  eventId: string;
  ts: number;
}

export function txnKeyString(k: TxnKey): string {
  return JSON.stringify([k.userId, k.deviceId, k.scope, k.txnId]);
}

export class ClientTxnIndex {
  /** Key -> the event and when it was sent; in insertion order, so the oldest is first. */
  private entries = new Map<string, Entry>();
  private loaded: Promise<void> | null = null;
  private lastPruneTs: number;

  constructor(
    private readonly maxEntries: number,
    now: number,
  ) {
    // The first prune is due an interval after the start, not at the first send.
    this.lastPruneTs = now;
  }

  /** The event a transaction id was sent as, if it is remembered. */
  async lookup(db: Queryable, key: TxnKey, now: number): Promise<string | undefined> {
    // A failed read is tried again by the next lookup.
    await (this.loaded ??= this.load(db, now).catch((err: unknown) => {
      this.loaded = null;
      throw err;
    }));
    const entry = this.entries.get(txnKeyString(key));
    return entry && entry.ts > now - RETENTION_MS ? entry.eventId : undefined;
  }

  /**
   * Writes the send's row in its unit and enters it in the index at the commit (a retry
   * from then on finds it; until then the send is in flight: events/persist.ts). Once an
   * hour, the unit also deletes the rows that have aged out.
   */
  async record(tx: Tx, key: TxnKey, eventId: string, now: number): Promise<void> {
    await store.insertTxnEvent(tx, { ...key, eventId, createdTs: now });
    if (now - this.lastPruneTs >= PRUNE_EVERY_MS) {
      // Set now, so the other sends of this group commit do not prune again; should this
      // unit roll back, the rows wait for the next hour.
      this.lastPruneTs = now;
      await store.deleteClientTxnsUpTo(tx, now - RETENTION_MS);
    }
    tx.onCommit(() => this.add(txnKeyString(key), { eventId, ts: now }, now));
  }

  /** Drops the transaction ids of events that are gone (a purged room: admin/room-purge.ts). */
  forgetEvents(eventIds: ReadonlySet<string>): void {
    if (!eventIds.size) return;
    for (const [k, e] of this.entries) if (eventIds.has(e.eventId)) this.entries.delete(k);
  }

  /** How many transaction ids are remembered (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private add(key: string, entry: Entry, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    const cutoff = now - RETENTION_MS;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && e.ts > cutoff) break;
      this.entries.delete(k);
    }
  }

  /**
   * Reads the last day's rows, newest `maxEntries` of them. Sends committed while the read
   * is answered were entered by `add` meanwhile; they are newer than every row read, so
   * they go after them.
   */
  private async load(db: Queryable, now: number): Promise<void> {
    const rows = await store.listClientTxnsAfter(db, now - RETENTION_MS, this.maxEntries);
    const meanwhile = this.entries;
    this.entries = new Map();
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      this.entries.set(
        txnKeyString({ userId: r.user_id, deviceId: r.device_id, scope: r.scope, txnId: r.txn_id }),
        { eventId: r.event_id, ts: r.created_ts },
      );
    }
    for (const [k, e] of meanwhile) this.add(k, e, now);
  }
}
