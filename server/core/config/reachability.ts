import { Type } from '@sinclair/typebox';

/**
 * The `reachability:` section (new in Hearth): the self-test of whether other servers can
 * reach this one (server/net/reachability/, docs/reachability.md).
 */
export const REACHABILITY_KEYS = {
  reachability: Type.Optional(
    Type.Object({
      outside_prober: Type.Optional(Type.Boolean()),
      outside_prober_url: Type.Optional(Type.String({ minLength: 1 })),
      private_network: Type.Optional(Type.Boolean()),
    }),
  ),
};

/** The public Matrix federation tester's JSON API; {server_name} is replaced. */
export const DEFAULT_OUTSIDE_PROBER_URL =
  'https://federationtester.matrix.org/api/report?server_name={server_name}';

export interface ReachabilityConfig {
  reachability: {
    /**
     * Also ask a prober outside the home network (off by default: it tells a third party
     * this server's name). A check from inside can pass through hairpin NAT while the
     * internet still cannot get in; only an outside answer shows that.
     */
    outsideProber: boolean;
    /** Its URL, with {server_name}; the federation tester's JSON report format. */
    outsideProberUrl: string;
    /**
     * The server federates only inside a private network (a LAN, a VPN such as WireGuard or
     * Tailscale): private addresses count as reachable. Off by default.
     */
    privateNetwork: boolean;
  };
}

interface RawReachability {
  reachability?: {
    outside_prober?: boolean;
    outside_prober_url?: string;
    private_network?: boolean;
  };
}

export function resolveReachabilityConfig(c: RawReachability, later: string[]): ReachabilityConfig {
  const raw = c.reachability ?? {};
  const url = raw.outside_prober_url ?? DEFAULT_OUTSIDE_PROBER_URL;
  let ok = false;
  try {
    const u = new URL(url.replace('{server_name}', 'example.org'));
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) later.push('reachability.outside_prober_url: expected an http(s) URL');
  if (!url.includes('{server_name}')) {
    later.push('reachability.outside_prober_url: must contain {server_name}');
  }
  return {
    reachability: {
      outsideProber: raw.outside_prober ?? false,
      outsideProberUrl: url,
      privateNetwork: raw.private_network ?? false,
    },
  };
}
