import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLocalCa, loadLocalCa } from '../../../server/net/local-ca.js';

describe('local CA', () => {
  const ca = createLocalCa({ commonName: 'Unit CA' });

  it('makes a CA certificate that can sign', () => {
    const x = new X509Certificate(ca.cert);
    expect(x.ca).toBe(true);
    expect(x.subject).toContain('CN=Unit CA');
    expect(x.verify(x.publicKey)).toBe(true);
  });

  it('issues leaf certificates for DNS names and IP addresses, signed by the CA', () => {
    const leaf = new X509Certificate(ca.issue(['hs2.test', 'localhost', '127.0.0.1', '::1']).cert);
    const caX = new X509Certificate(ca.cert);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(caX.publicKey)).toBe(true);
    expect(leaf.checkIssued(caX)).toBe(true);
    expect(leaf.checkHost('hs2.test')).toBe('hs2.test');
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkHost('other.test')).toBeUndefined();
    expect(leaf.checkIP('127.0.0.2')).toBeUndefined();
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now() + 800 * 86_400_000);
  });

  it('reloads from PEM and keeps issuing under the same CA', () => {
    const again = loadLocalCa({ cert: ca.cert, key: ca.key });
    const leaf = new X509Certificate(again.issue(['hs3.test']).cert);
    expect(leaf.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
  });

  it('refuses a certificate without names', () => {
    expect(() => ca.issue([])).toThrow(/at least one name/);
  });
});
