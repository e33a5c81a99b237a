import { httpGetJson } from './outside-prober.js';
import {
  checkClientWellKnown,
  checkDns,
  checkKey,
  checkPort,
  checkTls,
  checkWellKnown,
  discoveryFor,
  parseServerName,
  type CheckEnv,
} from './checks.js';
import { isCarrierGradeNat, isPrivateAddress } from './addresses.js';
import { summarize, type CheckItem, type ReachabilityReport } from './report.js';

/** What the port-mapping side knows about the router (server/net/upnp/), when it runs. */
export interface NatFacts {
  /** The router's external address as it reports it, or null when unknown. */
  externalIp: string | null;
}

export interface ReachabilityOptions extends CheckEnv {
  nat?: NatFacts | null;
  /** The outside prober's URL with {server_name}, or null when the person has not allowed it. */
  outsideProberUrl?: string | null;
  now?: () => number;
}

/**
 * Runs every check for `serverName` and sums them up. Checks that depend on an earlier one
 * (TLS needs an open port) are marked not checked when it failed, rather than red twice.
 */
export async function checkReachability(opts: ReachabilityOptions): Promise<ReachabilityReport> {
  const now = opts.now ?? Date.now;
  const items: CheckItem[] = [];
  const name = parseServerName(opts.serverName);
  const done = (): ReachabilityReport => ({
    server_name: opts.serverName,
    ...summarize(items),
    items,
    checked_ts: now(),
  });

  if (!name) {
    items.push({
      id: 'server_name',
      label: 'Server name',
      ok: false,
      detail: `"${opts.serverName}" is not a valid server name.`,
      short: 'Not reachable: the server name is not valid',
    });
    return done();
  }
  if (
    name.host === 'localhost' ||
    (name.ipLiteral && isPrivateAddress(name.host) && !opts.privateNetwork)
  ) {
    items.push({
      id: 'server_name',
      label: 'Server name',
      ok: false,
      detail:
        `The server name is ${opts.serverName}: a name only this machine knows, so other ` +
        'servers cannot reach it. Federation is off; chat on this server works as usual.',
      fix: 'To federate, set up Hearth again with a domain you own (the server name cannot change once people have accounts).',
      short: `Federation is off: the server name is ${opts.serverName}`,
    });
    return done();
  }
  items.push({
    id: 'server_name',
    label: 'Server name',
    ok: true,
    detail: `Checking ${opts.serverName}.`,
  });

  items.push(await checkDns(opts, name.host));
  if (!name.ipLiteral && name.port === null) {
    items.push((await checkWellKnown(opts, name.host)).item);
  }

  let resolved;
  try {
    resolved = await discoveryFor(opts).resolveServerName(opts.serverName);
  } catch (err) {
    items.push({
      id: 'port',
      label: 'Federation port',
      ok: false,
      detail: `Other servers cannot find where to connect: ${err instanceof Error ? err.message : String(err)}.`,
      short: 'other servers cannot find the federation port',
    });
    return withOutside(opts, items, done);
  }
  const target = resolved.targets[0]!;
  const { item: portItem, address } = await checkPort(opts, target);
  items.push(portItem);
  if (address) {
    items.push(await checkTls(opts, address, target.port, resolved.tlsServerName));
    items.push(await checkKey(opts, resolved, address, target.port));
  } else {
    items.push(notChecked('tls', 'TLS certificate', 'the port is closed'));
    items.push(notChecked('key', 'Server keys (/_matrix/key/v2/server)', 'the port is closed'));
  }
  items.push(await checkClientWellKnown(opts, name.host));
  items.push(natItem(opts.nat ?? null));
  return withOutside(opts, items, done);
}

function notChecked(id: CheckItem['id'], label: string, why: string): CheckItem {
  return { id, label, ok: null, detail: `Not checked: ${why}.` };
}

/** Double NAT and carrier-grade NAT, from the router's external address. */
export function natItem(nat: NatFacts | null): CheckItem {
  const label = 'Router';
  if (!nat?.externalIp) {
    return {
      id: 'nat',
      label,
      ok: null,
      detail:
        'The router did not say its external address (port mapping is off or no UPnP router answered).',
    };
  }
  const ip = nat.externalIp;
  if (isCarrierGradeNat(ip)) {
    return {
      id: 'nat',
      label,
      ok: false,
      detail:
        `Your router's external address is ${ip}, in the range internet providers use for ` +
        'carrier-grade NAT: your connection shares a public address with other customers, so ' +
        'nobody on the internet can connect in, whatever you forward on your router.',
      fix: 'Ask your provider for a public IPv4 address (often free or cheap), use IPv6 if both ends have it, or run Hearth behind a relay or a small server with a public address.',
      short: 'carrier-grade NAT at your provider',
    };
  }
  if (isPrivateAddress(ip)) {
    return {
      id: 'nat',
      label,
      ok: false,
      detail:
        `Your router's external address is ${ip}, a private address: there is a second ` +
        'router in front of it (double NAT), and forwarding on this one is not enough.',
      fix: "Forward the port on the outer router too (often the provider's modem), or put that modem in bridge mode so this router gets the public address.",
      short: 'double NAT',
    };
  }
  return { id: 'nat', label, ok: true, detail: `Your router's external address is ${ip}.` };
}

async function withOutside(
  opts: ReachabilityOptions,
  items: CheckItem[],
  done: () => ReachabilityReport,
): Promise<ReachabilityReport> {
  if (!opts.outsideProberUrl) {
    items.push({
      id: 'outside',
      label: 'Check from the internet',
      ok: null,
      detail:
        'Not asked: a check from inside your network can pass through your router (hairpin ' +
        'NAT) while the internet still cannot get in. Allow the outside check to be sure.',
    });
    return done();
  }
  items.push(await outsideItem(opts.outsideProberUrl, opts.serverName, opts.timeoutMs));
  return done();
}

async function outsideItem(urlTemplate: string, serverName: string, timeoutMs: number) {
  const label = 'Check from the internet';
  const url = urlTemplate.replace('{server_name}', encodeURIComponent(serverName));
  const host = new URL(url).host;
  try {
    const report = (await httpGetJson(url, timeoutMs)) as {
      FederationOK?: unknown;
      ConnectionErrors?: Record<string, { Message?: string }>;
      Error?: { Message?: string } | string;
    };
    if (report.FederationOK === true) {
      return { id: 'outside' as const, label, ok: true, detail: `${host} reached this server.` };
    }
    const errors = Object.entries(report.ConnectionErrors ?? {}).map(
      ([addr, e]) => `${addr}: ${e.Message ?? 'failed'}`,
    );
    const top = typeof report.Error === 'string' ? report.Error : report.Error?.Message;
    return {
      id: 'outside' as const,
      label,
      ok: false,
      detail: `${host} could not reach this server${errors.length || top ? `: ${[top, ...errors].filter(Boolean).join('; ')}` : ''}.`,
      fix: 'If the checks above are green, your router reaches the server from inside but not from outside: check the port forwarding on every router in front of this one.',
      short: 'the check from the internet failed',
    };
  } catch (err) {
    return {
      id: 'outside' as const,
      label,
      ok: null,
      detail: `${host} did not answer (${err instanceof Error ? err.message : String(err)}), so only the checks from inside ran.`,
    };
  }
}
