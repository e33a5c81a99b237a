import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, resolveConfig } from '../../../server/core/config/load.js';
import { natKindOf } from '../../../server/net/upnp/nat-kind.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * GET /_hearth/admin/v1/port_mapping when port mapping is off (the default), who may read
 * it, and the `port_mapping:` keys of homeserver.yaml. The mapping itself, against a real
 * router, is in upnp.test.ts.
 */

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(async () => {
  await s.close();
});

describe('GET /_hearth/admin/v1/port_mapping', () => {
  test('is for server admins only', async () => {
    const user = await s.register('plain');
    const refused = await s.req('GET', '/_hearth/admin/v1/port_mapping', { token: user.token });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errcode).toBe('M_FORBIDDEN');
    const anonymous = await s.req('GET', '/_hearth/admin/v1/port_mapping');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().errcode).toBe('M_MISSING_TOKEN');
  });

  test('says plainly that port mapping is off, and how to turn it on', async () => {
    const admin = await s.registerAdmin('admin');
    const res = await s.req('GET', '/_hearth/admin/v1/port_mapping', { token: admin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'disabled',
      gateway: null,
      local_ip: null,
      external_ip: null,
      nat: 'unknown',
      mappings: [],
    });
    expect(res.json().message).toContain('port_mapping');
  });
});

describe('port_mapping: in homeserver.yaml', () => {
  const base = { server_name: 'example.test' };
  const resolve = (pm: unknown) =>
    resolveConfig({ ...base, port_mapping: pm }, null, { signingKeys: [] }).config.portMapping;

  test('defaults: off, a one-hour lease, the federation listener, a check every 5 minutes', () => {
    expect(resolveConfig(base, null, { signingKeys: [] }).config.portMapping).toEqual({
      enabled: false,
      leaseSeconds: 3600,
      ports: null,
      externalIpCheckMs: 300_000,
      discoveryTimeoutMs: 3_000,
    });
  });

  test('takes ports as numbers or as external/internal pairs, and durations', () => {
    expect(
      resolve({
        enabled: true,
        lease: '30m',
        ports: [8448, { external_port: 443, internal_port: 8443 }, { internal_port: 80 }],
        external_ip_check: '1m',
      }),
    ).toMatchObject({
      enabled: true,
      leaseSeconds: 1800,
      ports: [
        { externalPort: 8448, internalPort: 8448 },
        { externalPort: 443, internalPort: 8443 },
        { externalPort: 80, internalPort: 80 },
      ],
      externalIpCheckMs: 60_000,
    });
  });

  test.each([
    [{ lease: 'soon' }, 'port_mapping.lease'],
    [{ lease: '30d' }, 'port_mapping.lease'],
    [{ lease: '1s' }, 'port_mapping.lease'],
    [{ ports: [70000] }, 'port_mapping.ports'],
    [{ ports: [8448, { external_port: 8448, internal_port: 8008 }] }, 'port_mapping.ports'],
    [{ enabled: 'yes' }, 'port_mapping.enabled'],
  ])('refuses %j with a message naming the key', (pm, key) => {
    let err: unknown;
    try {
      resolve(pm);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toContain(key);
  });
});

describe('what the router external address says', () => {
  test.each([
    ['203.0.113.7', 'unknown'], // documentation range: not an internet address
    ['81.2.69.160', 'none'],
    ['10.1.2.3', 'double'],
    ['172.20.0.1', 'double'],
    ['192.168.178.1', 'double'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['100.128.0.1', 'none'],
    ['0.0.0.0', 'unknown'],
    ['', 'unknown'],
    [null, 'unknown'],
    ['not an address', 'unknown'],
  ])('%s -> %s', (ip, kind) => {
    expect(natKindOf(ip)).toBe(kind);
  });
});
