import type { Ctx } from '../../context.js';
import type { Tx } from '../../db/sql.js';
import type { OutgoingEdu } from './edus.js';
import * as store from './store.js';

/**
 * Putting PDUs and EDUs on the outgoing queues, inside the writer unit that makes them (the
 * event's own unit for a PDU), so a committed event is always queued. Once the unit commits,
 * the running sender of the context (sender.ts) is told to send.
 */

/** What a running sender listens to; sender.ts registers itself here for its context. */
export interface QueueListener {
  notify(destinations: readonly string[]): void;
  destinationIsUp(destination: string): void;
}

const listeners = new WeakMap<Ctx, QueueListener>();

export function setQueueListener(ctx: Ctx, listener: QueueListener | null): void {
  if (listener) listeners.set(ctx, listener);
  else listeners.delete(ctx);
}

/**
 * A signed request from `origin` arrived: it is up, so its backoff ends (spec: a server
 * that hears from another should retry it). A no-op without a running sender.
 */
export function noteDestinationUp(ctx: Ctx, origin: string): void {
  listeners.get(ctx)?.destinationIsUp(origin);
}

/** The destinations worth queueing for: never this server, only allowed servers. */
export function sendableDestinations(ctx: Ctx, destinations: Iterable<string>): string[] {
  const allow = ctx.config.federationDomainWhitelist;
  const out = new Set<string>();
  for (const d of destinations) {
    if (d === ctx.config.serverName) continue;
    if (allow && !allow.includes(d)) continue;
    out.add(d);
  }
  return [...out];
}

/**
 * Queues a persisted event for `destinations`, in the writer unit that persists it (call it
 * with that unit's `tx`, after the event's row is written). This server and servers outside
 * federation_domain_whitelist are skipped. Sending starts after the commit.
 */
export async function queuePduForDestinations(
  ctx: Ctx,
  tx: Tx,
  ev: { streamOrdering: number; eventId: string; roomId: string },
  destinations: Iterable<string>,
): Promise<void> {
  const to = sendableDestinations(ctx, destinations);
  if (!to.length) return;
  await store.insertOutboxPdu(tx, ev, to, ctx.clock.now());
  tx.afterCommit(() => listeners.get(ctx)?.notify(to));
}

/**
 * Queues an EDU for `destinations` in a writer unit. An EDU with a coalesce key replaces the
 * same key's queued one that no transaction holds yet. m.presence is not queued when
 * presence is off (Synapse's `presence.enabled`, which also governs outgoing presence).
 */
export async function queueEduForDestinations(
  ctx: Ctx,
  tx: Tx,
  edu: OutgoingEdu,
  destinations: Iterable<string>,
): Promise<void> {
  if (edu.eduType === 'm.presence' && !ctx.config.presence.enabled) return;
  const to = sendableDestinations(ctx, destinations);
  if (!to.length) return;
  const contentJson = JSON.stringify(edu.content);
  const now = ctx.clock.now();
  for (const destination of to) {
    await store.insertOutboxEdu(
      tx,
      { destination, eduType: edu.eduType, coalesceKey: edu.coalesceKey, contentJson },
      now,
    );
  }
  tx.afterCommit(() => listeners.get(ctx)?.notify(to));
}

/**
 * Queues an EDU in a writer unit of its own (for EDUs not written beside anything else:
 * typing, presence, receipts); resolves once it is committed.
 */
export function sendEdu(ctx: Ctx, edu: OutgoingEdu, destinations: Iterable<string>): Promise<void> {
  const to = [...destinations];
  return ctx.writer.transaction('federation_queue_edu', (tx) =>
    queueEduForDestinations(ctx, tx, edu, to),
  );
}
