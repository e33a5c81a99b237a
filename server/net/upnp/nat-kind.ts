import ipaddr from 'ipaddr.js';

/**
 * What the router's external address says about reachability:
 * - 'none': a public address; a mapping there is reachable from the internet.
 * - 'double': a private address (RFC 1918): the router sits behind another router.
 * - 'cgnat': an address in 100.64.0.0/10 (RFC 6598): the internet provider shares one
 *   public address between many customers.
 * - 'unknown': the router did not say (no answer, an empty or 0.0.0.0 address).
 */
export type NatKind = 'none' | 'double' | 'cgnat' | 'unknown';

/** Classifies an external IPv4 address as reported by the router. */
export function natKindOf(externalIp: string | null): NatKind {
  if (!externalIp || !ipaddr.IPv4.isValidFourPartDecimal(externalIp)) return 'unknown';
  const range = ipaddr.IPv4.parse(externalIp).range();
  if (range === 'private') return 'double';
  if (range === 'carrierGradeNat') return 'cgnat';
  if (range === 'unicast') return 'none';
  return 'unknown';
}

/** What the NAT kind means for the person, in plain words; null when nothing to say. */
export function natExplanation(kind: NatKind, externalIp: string | null): string | null {
  switch (kind) {
    case 'double':
      return (
        `Your router's internet side has the private address ${externalIp}: it is connected ` +
        'to a second router (often the internet provider\'s box), a "double NAT". The mapping ' +
        'on your router is not enough: the same port must also be forwarded on the outer ' +
        "router to your router's address, or the outer box put in bridge mode."
      );
    case 'cgnat':
      return (
        `Your router's internet address ${externalIp} is shared by your internet provider ` +
        'with other customers (carrier-grade NAT): no port forwarding can make this machine ' +
        'reachable on IPv4. Ask your provider for a public IPv4 address, use IPv6 if your ' +
        'connection has it, or reach the federation through a relay or tunnel.'
      );
    default:
      return null;
  }
}
