import type { Ctx } from '../../context.js';
import type { CertificateManager } from './manager.js';

/**
 * What other code reaches of the ACME manager through the running context (as federation
 * pause does): the manager itself, for the admin endpoints, and the challenge-port hook.
 */

const managers = new WeakMap<Ctx, CertificateManager>();

export function setCertificateManager(ctx: Ctx, manager: CertificateManager | null): void {
  if (manager) managers.set(ctx, manager);
  else managers.delete(ctx);
}

/** The running manager, or null when acme is not enabled (or not started). */
export function getCertificateManager(ctx: Ctx): CertificateManager | null {
  return managers.get(ctx) ?? null;
}

/** The challenge listener is about to open (`open: true`) or has closed. */
export interface ChallengePortEvent {
  open: boolean;
  /** The local port it binds (acme.port). */
  port: number;
  /** The public port the certificate authority connects to: 80 (http-01) or 443 (tls-alpn-01). */
  publicPort: 80 | 443;
  protocol: 'TCP';
}

export type ChallengePortListener = (event: ChallengePortEvent) => void | Promise<void>;

const portListeners = new WeakMap<Ctx, Set<ChallengePortListener>>();

/** How long the certificate authority's visit waits for a listener (a UPnP mapping). */
const LISTENER_TIMEOUT_MS = 15_000;

/**
 * Calls `listener` each time the challenge port must be open, and again once it is not
 * (for port mapping: UPnP maps the public port to acme.port while issuing). The opening
 * call is awaited, up to 15 s, before the listener binds and the CA is asked to connect.
 * Returns the unsubscribe function.
 */
export function onChallengePortNeeded(ctx: Ctx, listener: ChallengePortListener): () => void {
  let set = portListeners.get(ctx);
  if (!set) portListeners.set(ctx, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Tells every listener; a failing or slow one is logged and does not stop the issuance. */
export async function notifyChallengePort(ctx: Ctx, event: ChallengePortEvent): Promise<void> {
  const set = portListeners.get(ctx);
  if (!set?.size) return;
  await Promise.all(
    [...set].map(async (listener) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => listener(event)),
          new Promise((resolve) => {
            timer = setTimeout(resolve, LISTENER_TIMEOUT_MS);
            timer.unref();
          }),
        ]);
      } catch (err) {
        ctx.log.warn({ err, event }, 'a challenge-port listener failed');
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
