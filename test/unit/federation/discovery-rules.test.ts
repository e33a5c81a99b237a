import { describe, expect, it } from 'vitest';
import {
  WELL_KNOWN_CACHE,
  nextEntry,
  orderSrv,
  parseServerName,
} from '../../../server/federation/discovery.js';

const HOUR = 3_600_000;
const MIN = 60_000;

describe('parseServerName', () => {
  it.each([
    ['example.org', { host: 'example.org', port: null, ipLiteral: false }],
    ['Example.ORG:8448', { host: 'example.org', port: 8448, ipLiteral: false }],
    ['1.2.3.4', { host: '1.2.3.4', port: null, ipLiteral: true }],
    ['1.2.3.4:80', { host: '1.2.3.4', port: 80, ipLiteral: true }],
    ['[::1]', { host: '::1', port: null, ipLiteral: true }],
    ['[2001:db8::1]:8448', { host: '2001:db8::1', port: 8448, ipLiteral: true }],
    ['localhost:8480', { host: 'localhost', port: 8480, ipLiteral: false }],
  ])('%s', (name, parts) => {
    expect(parseServerName(name)).toEqual(parts);
  });

  it.each([
    '',
    'a b',
    'example.org:',
    'example.org:0',
    'example.org:70000',
    '::1',
    '[nothost]',
    'a/b',
  ])('refuses %j', (name) => {
    expect(parseServerName(name)).toBeNull();
  });
});

describe('orderSrv (RFC 2782)', () => {
  const rec = (name: string, priority: number, weight: number) => ({
    name,
    priority,
    weight,
    port: 8448,
  });

  it('puts lower priorities first whatever the weights', () => {
    const out = orderSrv([rec('c', 20, 100), rec('a', 5, 0), rec('b', 10, 50)]);
    expect(out.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('picks by weight within a priority', () => {
    const records = [rec('light', 10, 1), rec('heavy', 10, 99)];
    expect(orderSrv(records, () => 0.5).map((r) => r.name)).toEqual(['heavy', 'light']);
    expect(orderSrv(records, () => 0.001).map((r) => r.name)).toEqual(['light', 'heavy']);
  });

  it('keeps every record when all weights are zero', () => {
    expect(
      orderSrv([rec('x', 1, 0), rec('y', 1, 0)])
        .map((r) => r.name)
        .sort(),
    ).toEqual(['x', 'y']);
  });
});

describe('.well-known cache rules', () => {
  const now = 1_000_000_000;
  const valid = (cacheMs: number | null) =>
    ({ kind: 'valid', delegated: 'matrix.example.org:443', cacheMs }) as const;

  it('keeps a valid answer 24 h without cache headers', () => {
    const e = nextEntry(valid(null), undefined, now);
    expect(e.delegated).toBe('matrix.example.org:443');
    expect(e.expiresAt - now).toBe(24 * HOUR);
  });

  it('follows Cache-Control within 5 minutes .. 48 hours', () => {
    expect(nextEntry(valid(2 * HOUR), undefined, now).expiresAt - now).toBe(2 * HOUR);
    expect(nextEntry(valid(7 * 24 * HOUR), undefined, now).expiresAt - now).toBe(48 * HOUR);
    expect(nextEntry(valid(0), undefined, now).expiresAt - now).toBe(5 * MIN);
  });

  it('caches an invalid answer (no delegation) for an hour', () => {
    const e = nextEntry({ kind: 'invalid', reason: 'status 404' }, undefined, now);
    expect(e).toMatchObject({ delegated: null, failures: 0 });
    expect(e.expiresAt - now).toBe(WELL_KNOWN_CACHE.invalidMs);
  });

  it('backs off exponentially on repeated failures, up to an hour', () => {
    let e = undefined;
    const periods: number[] = [];
    for (let i = 0; i < 7; i++) {
      e = nextEntry({ kind: 'failed', reason: 'ECONNREFUSED' }, e, now);
      periods.push((e.expiresAt - now) / MIN);
    }
    expect(periods).toEqual([2, 4, 8, 16, 32, 60, 60]);
    expect(e!.delegated).toBeNull();
  });

  it('keeps using a recent valid delegation while fetches fail, then lets it go', () => {
    const ok = nextEntry(valid(HOUR), undefined, now);
    const during = nextEntry({ kind: 'failed', reason: 'timeout' }, ok, now + HOUR + 1);
    expect(during.delegated).toBe('matrix.example.org:443');
    const later = nextEntry({ kind: 'failed', reason: 'timeout' }, during, now + 4 * HOUR);
    expect(later.delegated).toBeNull();
    // An invalid answer is the server saying "no delegation": it ends the delegation at once.
    expect(nextEntry({ kind: 'invalid', reason: 'x' }, ok, now + HOUR).delegated).toBeNull();
  });
});
