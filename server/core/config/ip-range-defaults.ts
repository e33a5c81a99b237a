import ipaddr from 'ipaddr.js';

/**
 * Synapse's DEFAULT_IP_RANGE_BLACKLIST: the ranges no outgoing request may reach unless the
 * config says otherwise (loopback, RFC 1918, CGNAT, link-local, test nets, multicast,
 * unique-local and site-local IPv6). Kept in Synapse's order so the two can be compared.
 */
export const DEFAULT_IP_RANGE_BLACKLIST: readonly string[] = Object.freeze([
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '192.0.0.0/24',
  '169.254.0.0/16',
  '192.88.99.0/24',
  '198.18.0.0/15',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '::1/128',
  'fe80::/10',
  'fc00::/7',
  '2001:db8::/32',
  'ff00::/8',
  'fec0::/10',
]);

/**
 * Whether `entry` is an IP address or a CIDR range (`10.0.0.0/8`, `::1/128`, `192.0.2.1`).
 * Only the usual spellings: an IPv4 address must have four decimal parts (ipaddr.js would
 * also take `127.1` or `0x7f.0.0.1`, which nobody means in a config file).
 */
export function isIpRange(entry: string): boolean {
  const [addr = '', prefix, ...rest] = entry.split('/');
  if (rest.length) return false;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  if (!v4 && !(ipaddr.IPv6.isValid(addr) && !addr.includes('%'))) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (v4 ? 32 : 128);
}
