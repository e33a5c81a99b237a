import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/**
 * Which addresses outgoing requests may reach: Synapse's `ip_range_blacklist` and
 * `ip_range_whitelist`. Independent of federation, so URL previews and push can share it.
 */
export interface AddressPolicy {
  /** True when no outgoing connection may go to `ip` (an IPv4 or IPv6 literal). */
  isBlocked(ip: string): boolean;
}

/**
 * Addresses refused whatever the blacklist says (unless whitelisted), as in Synapse: a
 * connection to "any address" lands on this machine.
 */
const ALWAYS_BLOCKED = ['0.0.0.0/32', '::/128'];

/**
 * Parses a list of addresses and CIDR ranges (`10.0.0.0/8`, `::1/128`, `192.0.2.7`).
 * Throws on a malformed entry; config loading has already refused those.
 */
export function parseIpRanges(entries: readonly string[]): Range[] {
  return entries.map((entry) => {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const addr = ipaddr.parse(entry);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  });
}

/**
 * Builds the policy: an address is blocked when it lies in a blacklisted range and in no
 * whitelisted one (the whitelist wins). `0.0.0.0` and `::` are always blacklisted.
 *
 * An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
 * `::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) is judged as both: Synapse adds those three forms
 * of every IPv4 range, so `::ffff:127.0.0.1` cannot slip past `127.0.0.0/8`.
 */
export function createAddressPolicy(opts: {
  blacklist: readonly string[];
  whitelist?: readonly string[];
}): AddressPolicy {
  const black = parseIpRanges([...opts.blacklist, ...ALWAYS_BLOCKED]);
  const white = parseIpRanges(opts.whitelist ?? []);
  return {
    isBlocked(ip) {
      const forms = addressForms(ip);
      if (!forms) return true; // not an address at all: never connect to it
      return forms.some((a) => inAny(a, black)) && !forms.some((a) => inAny(a, white));
    },
  };
}

/** A policy that allows every address (`ip_range_blacklist: []` still keeps 0.0.0.0 and ::). */
export function allowAllPolicy(): AddressPolicy {
  return createAddressPolicy({ blacklist: [] });
}

function inAny(addr: Address, ranges: Range[]): boolean {
  return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/** The address itself, plus the IPv4 address an IPv6 one embeds; null when unparsable. */
function addressForms(ip: string): Address[] | null {
  const literal = ip.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (!ipaddr.IPv4.isValidFourPartDecimal(literal) && !ipaddr.IPv6.isValid(literal)) return null;
  const addr = ipaddr.parse(literal);
  if (addr.kind() === 'ipv4') return [addr];
  const v6 = addr as ipaddr.IPv6;
  const embedded = embeddedIpv4(v6);
  return embedded ? [v6, embedded] : [v6];
}

function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
  if (p[0] === 0x2002) return fromWords(p[1]!, p[2]!);
  // IPv4-compatible (deprecated, RFC 4291 2.5.5.1): ::a.b.c.d, but not :: and ::1.
  if (p.slice(0, 6).every((w) => w === 0) && (p[6] !== 0 || p[7]! > 1)) {
    return fromWords(p[6]!, p[7]!);
  }
  return null;
}

function fromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}
