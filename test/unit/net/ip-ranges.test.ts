import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../server/core/config/load.js';
import { DEFAULT_IP_RANGE_BLACKLIST } from '../../../server/core/config/ip-range-defaults.js';
import { createAddressPolicy, parseIpRanges } from '../../../server/net/ip-ranges.js';

const defaults = createAddressPolicy({ blacklist: DEFAULT_IP_RANGE_BLACKLIST });

describe("the default ip_range_blacklist (Synapse's)", () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback /8'],
    ['10.1.2.3', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.255', 'RFC 1918 upper edge'],
    ['192.168.1.20', 'RFC 1918'],
    ['100.64.0.1', 'CGNAT'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.88.99.1', 'former 6to4 relay'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.2.1', 'TEST-NET-1'],
    ['198.51.100.7', 'TEST-NET-2'],
    ['203.0.113.9', 'TEST-NET-3'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified (always)'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified (always)'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with a zone'],
    ['fd12:3456::1', 'unique local'],
    ['2001:db8::1', 'documentation'],
    ['ff02::1', 'IPv6 multicast'],
    ['fec0::1', 'site-local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:c0a8:0101::1', '6to4 of 192.168.1.1'],
    ['[::1]', 'bracketed'],
    ['not-an-ip', 'not an address'],
    ['127.1', 'short IPv4 form'],
  ])('blocks %s (%s)', (ip) => {
    expect(defaults.isBlocked(ip)).toBe(true);
  });

  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['172.32.0.1'],
    ['100.128.0.1'],
    ['2606:4700:4700::1111'],
    ['::ffff:8.8.8.8'],
    ['2002:0808:0808::1'],
  ])('allows the public address %s', (ip) => {
    expect(defaults.isBlocked(ip)).toBe(false);
  });
});

describe('createAddressPolicy', () => {
  it('with an empty blacklist allows loopback but still refuses 0.0.0.0 and ::', () => {
    const open = createAddressPolicy({ blacklist: [] });
    expect(open.isBlocked('127.0.0.1')).toBe(false);
    expect(open.isBlocked('::1')).toBe(false);
    expect(open.isBlocked('192.168.0.1')).toBe(false);
    expect(open.isBlocked('0.0.0.0')).toBe(true);
    expect(open.isBlocked('::')).toBe(true);
  });

  it('lets the whitelist win over the blacklist, in every IPv6 form of an IPv4 entry', () => {
    const p = createAddressPolicy({
      blacklist: DEFAULT_IP_RANGE_BLACKLIST,
      whitelist: ['192.168.1.20', 'fd00::/8'],
    });
    expect(p.isBlocked('192.168.1.20')).toBe(false);
    expect(p.isBlocked('::ffff:192.168.1.20')).toBe(false);
    expect(p.isBlocked('192.168.1.21')).toBe(true);
    expect(p.isBlocked('fd00::5')).toBe(false);
    expect(p.isBlocked('fc00::5')).toBe(true);
  });

  it('takes bare addresses as single-address ranges', () => {
    const p = createAddressPolicy({ blacklist: ['203.0.114.7', '2a00::1'] });
    expect(p.isBlocked('203.0.114.7')).toBe(true);
    expect(p.isBlocked('203.0.114.8')).toBe(false);
    expect(p.isBlocked('2a00::1')).toBe(true);
    expect(p.isBlocked('2a00::2')).toBe(false);
  });

  it('parses CIDR lists and throws on a malformed entry', () => {
    expect(parseIpRanges(['10.0.0.0/8', '::1'])).toHaveLength(2);
    expect(() => parseIpRanges(['10.0.0.0/33'])).toThrow();
  });
});

describe('config keys', () => {
  const load = (extra: Record<string, unknown>) =>
    resolveConfig({ server_name: 'a.test', ...extra }, null, { signingKeys: [] }).config;

  it("defaults to Synapse's blacklist, certificate checks on, no whitelists", () => {
    const c = load({});
    expect(c.ipRangeBlacklist).toEqual([...DEFAULT_IP_RANGE_BLACKLIST]);
    expect(c.ipRangeWhitelist).toEqual([]);
    expect(c.federationVerifyCertificates).toBe(true);
    expect(c.federationCustomCaList).toEqual([]);
    expect(c.federationDomainWhitelist).toBeNull();
  });

  it('accepts federation_ip_range_blacklist as the older name, ip_range_blacklist first', () => {
    expect(load({ federation_ip_range_blacklist: ['10.0.0.0/8'] }).ipRangeBlacklist).toEqual([
      '10.0.0.0/8',
    ]);
    expect(
      load({ ip_range_blacklist: [], federation_ip_range_blacklist: ['10.0.0.0/8'] })
        .ipRangeBlacklist,
    ).toEqual([]);
  });

  it('refuses malformed ranges and missing CA files, naming the key', () => {
    expect(() => load({ ip_range_blacklist: ['10.0.0.0/8', 'ten'] })).toThrow(
      /ip_range_blacklist\[1\]: "ten" is not an IP address or CIDR range/,
    );
    expect(() => load({ ip_range_whitelist: ['127.1'] })).toThrow(/ip_range_whitelist\[0\]/);
    expect(() => load({ federation_custom_ca_list: ['/nonexistent/ca.pem'] })).toThrow(
      /federation_custom_ca_list\[0\]: \/nonexistent\/ca.pem does not exist/,
    );
    expect(() => load({ federation_verify_certificates: 'yes' })).toThrow(
      /federation_verify_certificates/,
    );
  });
});
