import type { Ctx } from '../../context.js';
import { GuardedHttpAgent, GuardedHttpsAgent, type AddressGuard } from '../../net/guarded-agent.js';
import { createGuardedLookup, type ResolveAll } from '../../net/guarded-lookup.js';
import { createAddressPolicy } from '../../net/ip-ranges.js';

/**
 * The outgoing side of URL previews: a guard of its own (url_preview_ip_range_blacklist and
 * _whitelist, not the federation's ranges) and an agent per scheme that checks every
 * address at connect time. No keep-alive: each request (each redirect hop, each image)
 * resolves and is checked afresh, so a changed DNS answer meets the guard again.
 */
export interface PreviewNet {
  guard: AddressGuard;
  http: GuardedHttpAgent;
  https: GuardedHttpsAgent;
  /** For one preview: every request it makes, redirects and its image included. */
  timeoutMs: number;
}

/** What tests may change: the resolver (a DNS server on loopback) and the time limit. */
export interface PreviewNetOptions {
  resolve?: ResolveAll;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

// One per server (keyed by its context, dropped with it): made on the first preview, so a
// server with previews off never builds agents.
const nets = new WeakMap<Ctx, PreviewNet>();
const overrides = new WeakMap<Ctx, PreviewNetOptions>();

/** The preview agents of this server, made on first use. */
export function previewNet(ctx: Ctx): PreviewNet {
  let net = nets.get(ctx);
  if (!net) {
    const opts = overrides.get(ctx) ?? {};
    const policy = createAddressPolicy({
      blacklist: ctx.config.urlPreview.ipRangeBlacklist,
      whitelist: ctx.config.urlPreview.ipRangeWhitelist,
    });
    const guard: AddressGuard = {
      policy,
      lookup: createGuardedLookup({ policy, ...(opts.resolve ? { resolve: opts.resolve } : {}) }),
    };
    net = {
      guard,
      http: new GuardedHttpAgent(guard, { keepAlive: false }),
      https: new GuardedHttpsAgent(guard, { keepAlive: false, minVersion: 'TLSv1.2' }),
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    nets.set(ctx, net);
  }
  return net;
}

/**
 * Sets how this server's previews resolve names and how long they may take (tests: a DNS
 * server on loopback, a short time limit). Agents already made are replaced.
 */
export function setPreviewNetOptions(ctx: Ctx, opts: PreviewNetOptions): void {
  overrides.set(ctx, opts);
  nets.delete(ctx);
}
