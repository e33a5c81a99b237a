import ipaddr from 'ipaddr.js';

/** Addresses no other server on the internet can reach (RFC 1918, loopback, link-local, ULA, CGNAT). */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  }
  return ip.range() !== 'unicast';
}

/** 100.64.0.0/10: an ISP's carrier-grade NAT (RFC 6598). */
export function isCarrierGradeNat(address: string): boolean {
  if (!ipaddr.IPv4.isValid(address)) return false;
  return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR('100.64.0.0/10'));
}
