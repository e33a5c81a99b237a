import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { cacheSize, createCache, createSizedCache, type Cache } from './core/cache.js';
import { ClientTxnIndex } from './events/client-txns.js';
import type { StateMap } from './events/state-map.js';
import { KeyedQueue } from './events/room-queue.js';
import { RoomHeads } from './events/room-heads.js';
import { Notifier } from './sync/notifier.js';
import { systemClock, systemRandom, type Clock, type Random } from './core/clock.js';
import type { Config } from './core/config/types.js';
import type { Logger } from './core/logger.js';
import { RateLimiter } from './core/rate-limiter.js';
import { migrate } from './db/migrate.js';
import type { Queryable } from './db/sql.js';
import { openSqlite, sqliteQueryable } from './db/sqlite.js';
import { Writer } from './db/writer.js';
import type { Requester } from './accounts/requester.js';
import type { EventHook } from './events/event-hooks.js';
import { queueEventForFederation } from './federation/sender/destinations.js';
import type { FederationTransport } from './federation/transport.js';
import type { FederationClient } from './federation/types.js';
import { createRequestSigner } from './federation/x-matrix.js';
import { indexRelation } from './relations/index-hook.js';
import { applyRedactionHook } from './rooms/redact.js';
import { indexEventForSearch } from './search/index-hook.js';
import { recordPushActions } from './push/push-actions.js';
import type { UnreadEntry } from './push/unread-cache.js';
import { dropTypingOnLeave } from './userdata/typing.js';
import { announceDevicesOnJoin } from './e2ee/federation/join-hook.js';
import { untrackDeviceListOnLeave } from './e2ee/federation/membership-hook.js';

/**
 * What other domains write beside each persisted event, in the event's own transaction
 * (server/events/event-hooks.ts). Listed here, at the composition root.
 */
const EVENT_HOOKS: EventHook[] = [
  // First: the others then see the target of a redaction already redacted.
  applyRedactionHook,
  indexRelation,
  indexEventForSearch,
  recordPushActions,
  dropTypingOnLeave,
  untrackDeviceListOnLeave,
  announceDevicesOnJoin,
  // Last: what it queues for other servers is the event as the other hooks left it.
  queueEventForFederation,
];

/**
 * The hooks for history fetched from other servers (events/persist-historical.ts): old
 * events are indexed and their redactions applied, but they notify nobody, stop nobody's
 * typing and are not sent anywhere.
 */
const HISTORICAL_EVENT_HOOKS: EventHook[] = [
  applyRedactionHook,
  indexRelation,
  indexEventForSearch,
];

/** The in-memory caches; each is bounded and scaled by the cache factors of the config. */
export interface Caches {
  /** access token hash -> who it belongs to (invalidated on logout and deactivation) */
  accessTokens: Cache<string, Requester>;
  /** "user|device" -> when its last-seen time was last written */
  deviceLastSeen: Cache<string, number>;
  /** shared-secret registration nonce -> when it expires */
  registrationNonces: Cache<string, number>;
  /** state group id -> the room state it holds (immutable); bounded by total entries */
  stateGroups: Cache<number, StateMap>;
  /**
   * "user\0room" -> how far the user has read the room, per receipt thread (userdata/
   * receipts.ts: dropped when the user's receipt moves)
   */
  readPositions: Cache<string, ReadonlyMap<string, number>>;
  /** "room\0user" -> unread counts (push/unread-cache.ts: kept in step at each commit) */
  unreadCounts: Cache<string, UnreadEntry>;
}

/**
 * What every domain function receives as its first argument. Built once at start, and by
 * tests with a temporary database. No service locator: a domain needs something new, it
 * gets a field here.
 */
export interface Ctx {
  config: Config;
  /** The read connection. Reads never wait for writes (WAL). */
  db: Queryable;
  /** The single writer: every write is `ctx.writer.transaction(name, async (tx) => ...)`. */
  writer: Writer;
  clock: Clock;
  random: Random;
  log: Logger;
  caches: Caches;
  rateLimiter: RateLimiter;
  /** Orders the persisting of each room's events (events/room-queue.ts). */
  roomQueue: KeyedQueue;
  /** What each room's next local event builds on (events/room-heads.ts). */
  roomHeads: RoomHeads;
  /** The client transaction ids of local sends, for retries (events/client-txns.ts). */
  clientTxns: ClientTxnIndex;
  /** Wakes long-polling /sync requests after commits (sync/notifier.ts). */
  notifier: Notifier;
  /** Run inside each event's writer unit, after its row (server/events/event-hooks.ts). */
  eventHooks: readonly EventHook[];
  /** The same for history from other servers (events/persist-historical.ts); none if absent. */
  historicalEventHooks?: readonly EventHook[];
  /**
   * Requests to other homeservers (federation/transport.ts: discovery, TLS, the address
   * guard, X-Matrix signing); tests may put a loopback client in its place.
   */
  federation: FederationClient;
  /**
   * Set by the process runner (server/main.ts): re-reads homeserver.yaml and rebuilds the
   * context and app on it while the listeners stay up; resolves with the new context. The
   * setup wizard's apply uses it (server/setup/apply.ts). Absent in tests built without it.
   */
  reloadConfig?: () => Promise<Ctx>;
}

export interface CtxHandle {
  ctx: Ctx;
  close(): Promise<void>;
}

function sameDatabase(a: Config, b: Config): boolean {
  return (
    a.database.engine === 'sqlite' &&
    b.database.engine === 'sqlite' &&
    a.database.path === b.database.path
  );
}

/** Opens the database (migrating it), and builds the context around it. */
export function createContext(opts: {
  config: Config;
  log: Logger;
  clock?: Clock;
  random?: Random;
  /** The writer's WAL fsync (fdatasync); replaced only by tests that hold or fail it. */
  walSync?: (fd: number, cb: (err: Error | null) => void) => void;
  /**
   * The context this one replaces on the same database (server/main.ts reloadConfig): its
   * sends still in flight commit after this context has started, so the two share the
   * transaction ids, in flight and committed.
   */
  replacing?: Ctx;
}): CtxHandle {
  const { config, log } = opts;
  if (config.database.engine !== 'sqlite') throw new Error('only SQLite is supported');
  const path = config.database.path;
  if (path === ':memory:')
    throw new Error(
      'an in-memory database cannot be shared by the reader and the writer; use a file',
    );
  mkdirSync(dirname(path), { recursive: true });
  const writeDb = openSqlite(path);
  const applied = migrate(writeDb, {
    onApply: (m) => log.info({ version: m.version, migration: m.name }, 'applied migration'),
  });
  if (applied.length) log.info({ applied }, 'database schema migrated');
  const readDb = openSqlite(path, { readonly: true });
  const clock = opts.clock ?? systemClock;
  const writer = new Writer(
    writeDb,
    log.child({ component: 'writer' }),
    clock,
    undefined,
    opts.walSync,
  );
  // Made on first use, and loaded then (its own chunk of the bundle: discovery, TLS and DNS
  // are several MiB a server that never federates — most of a fresh install's life, and
  // every test — need not pay).
  let transport: Promise<FederationTransport> | null = null;
  const federation: FederationClient = {
    async request(destination, req) {
      transport ??= import('./federation/transport.js').then((m) =>
        m.createFederationTransport({
          config,
          log: log.child({ component: 'federation-client' }),
          signer: createRequestSigner(config),
          clock,
        }),
      );
      return (await transport).request(destination, req);
    },
  };
  const ctx: Ctx = {
    config,
    db: sqliteQueryable(readDb),
    writer,
    clock,
    random: opts.random ?? systemRandom,
    log,
    caches: {
      accessTokens: createCache(config.caches, 'access_tokens', 10_000),
      deviceLastSeen: createCache(config.caches, 'device_last_seen', 10_000),
      registrationNonces: createCache(config.caches, 'registration_nonces', 1_000),
      stateGroups: createSizedCache(config.caches, 'state_groups', 500_000, (s) => s.size),
      readPositions: createCache(config.caches, 'read_positions', 10_000),
      unreadCounts: createCache(config.caches, 'unread_counts', 10_000),
    },
    // Buckets of recently seen clients and accounts: a cache like the others, scaled alike.
    roomQueue: new KeyedQueue(),
    roomHeads: new RoomHeads(),
    clientTxns:
      opts.replacing && sameDatabase(opts.replacing.config, config)
        ? opts.replacing.clientTxns
        : new ClientTxnIndex(cacheSize(config.caches, 'client_txns', 100_000, 1_000), clock.now()),
    notifier: new Notifier(),
    eventHooks: EVENT_HOOKS,
    historicalEventHooks: HISTORICAL_EVENT_HOOKS,
    federation,
    rateLimiter: new RateLimiter(clock, cacheSize(config.caches, 'rate_limiter', 50_000, 1_000)),
  };
  return {
    ctx,
    async close() {
      if (transport) (await transport).close();
      await writer.close();
      readDb.close();
      writeDb.pragma('wal_checkpoint(TRUNCATE)');
      writeDb.close();
    },
  };
}
