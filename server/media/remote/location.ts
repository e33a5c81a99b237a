import type { Ctx } from '../../context.js';
import { GuardedHttpAgent, GuardedHttpsAgent, type AddressGuard } from '../../net/guarded-agent.js';
import { createGuardedLookup } from '../../net/guarded-lookup.js';
import { sendRequest, type IncomingAnswer } from '../../net/http-request.js';
import { createAddressPolicy } from '../../net/ip-ranges.js';

/**
 * Fetches the URL a federation media answer's `Location` part names (spec v1.11 allows an
 * origin to redirect to, say, a CDN). The URL is the other server's choice, so it goes
 * through the outgoing-request guard with ip_range_blacklist: every address is checked at
 * connect time. No keep-alive (each fetch resolves and is checked afresh) and no further
 * redirects.
 */
export function fetchLocation(
  ctx: Ctx,
  url: string,
  a: { timeoutMs: number; maxBytes: number },
): Promise<IncomingAnswer> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new Error(`Location with scheme ${u.protocol}`);
  }
  const guard = guardFor(ctx);
  const https = u.protocol === 'https:';
  return sendRequest({
    protocol: u.protocol,
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : https ? 443 : 80,
    method: 'GET',
    path: `${u.pathname}${u.search}`,
    headers: { Host: u.host, 'User-Agent': 'Hearth' },
    agent: https ? new GuardedHttpsAgent(guard, { keepAlive: false }) : new GuardedHttpAgent(guard),
    timeoutMs: a.timeoutMs,
    maxBytes: a.maxBytes,
  });
}

const guards = new WeakMap<Ctx, AddressGuard>();

function guardFor(ctx: Ctx): AddressGuard {
  let guard = guards.get(ctx);
  if (!guard) {
    const policy = createAddressPolicy({
      blacklist: ctx.config.ipRangeBlacklist,
      whitelist: ctx.config.ipRangeWhitelist,
    });
    guard = { policy, lookup: createGuardedLookup({ policy }) };
    guards.set(ctx, guard);
  }
  return guard;
}
