import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../server/core/config/load.js';
import { describeFailure, ChallengePortError } from '../../../server/net/acme/problems.js';
import type { AcmeProblem } from '../../../server/net/acme/acme-transport.js';
import { DAY_MS, renewalTime, retryDelay } from '../../../server/net/acme/schedule.js';
import { setServerAdmin } from '../../../server/accounts/users.js';
import { createTestServer } from '../../helpers/server.js';

/** The acme: section as the config resolver reads it, and the rules the manager follows. */

const base = {
  server_name: 'hearth.example:8448',
  database: { name: 'sqlite3', args: { database: '/srv/hearth/data/homeserver.db' } },
};

function acmeConfig(acme: Record<string, unknown>) {
  return resolveConfig({ ...base, acme }, '/srv/hearth/homeserver.yaml', { signingKeys: [] }).config
    .acme;
}

function acmeProblems(acme: Record<string, unknown>): string[] {
  try {
    acmeConfig(acme);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('the acme: section of homeserver.yaml', () => {
  it('defaults to Synapse’s values, Let’s Encrypt, and the data folder', () => {
    expect(acmeConfig({})).toEqual({
      enabled: false,
      url: 'https://acme-v02.api.letsencrypt.org/directory',
      stagingUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      port: 80,
      bindAddresses: ['::', '0.0.0.0'],
      reprovisionThresholdDays: null,
      domain: 'hearth.example',
      accountKeyFile: '/srv/hearth/data/acme/account.key',
      email: null,
      caBundle: null,
      challenge: 'http-01',
      storageDir: '/srv/hearth/data/acme',
    });
  });

  it('reads every key; relative paths are relative to the config file', () => {
    expect(
      acmeConfig({
        enabled: true,
        url: 'https://acme.example/dir',
        staging_url: 'https://staging.acme.example/dir',
        port: 8443,
        bind_addresses: ['192.0.2.1'],
        reprovision_threshold: 30,
        domain: 'Matrix.Hearth.Example',
        account_key_file: 'keys/acme.key',
        email: 'me@hearth.example',
        challenge: 'tls-alpn-01',
      }),
    ).toMatchObject({
      enabled: true,
      url: 'https://acme.example/dir',
      stagingUrl: 'https://staging.acme.example/dir',
      port: 8443,
      bindAddresses: ['192.0.2.1'],
      reprovisionThresholdDays: 30,
      domain: 'matrix.hearth.example',
      accountKeyFile: join('/srv/hearth', 'keys/acme.key'),
      email: 'me@hearth.example',
      challenge: 'tls-alpn-01',
    });
    // TLS-ALPN-01 is answered on 443 unless told otherwise.
    expect(acmeConfig({ challenge: 'tls-alpn-01' }).port).toBe(443);
  });

  it.each([
    [{ url: 'http://acme.example/dir' }, 'acme.url: expected an https:// URL'],
    [{ staging_url: 'ftp://x' }, 'acme.staging_url: expected an https:// URL'],
    [{ email: 'not an address' }, 'acme.email: "not an address" is not an email address'],
    [{ bind_addresses: ['eth0'] }, 'acme.bind_addresses[0]: "eth0" is not an IP address'],
    [
      { enabled: true, ca_bundle: 'missing.pem' },
      'acme.ca_bundle: /srv/hearth/missing.pem does not exist',
    ],
    [
      { enabled: true, domain: '192.0.2.1' },
      'acme.domain: "192.0.2.1" is not a DNS name a public certificate authority can issue for',
    ],
    [{ challenge: 'dns-01' }, 'acme.challenge: "http-01" or "tls-alpn-01"'],
    [
      { reprovision_threshold: 0 },
      'acme.reprovision_threshold: a number of days (at least 1), or null',
    ],
    [{ port: 70000 }, 'acme.port: expected integer to be less or equal to 65535'],
  ])('refuses %j', (acme, problem) => {
    expect(acmeProblems(acme)).toContain(problem);
  });

  it('says when the default domain (server_name) cannot have a certificate', () => {
    const problems = (() => {
      try {
        resolveConfig(
          { ...base, server_name: 'localhost', acme: { enabled: true } },
          '/srv/hearth/homeserver.yaml',
          { signingKeys: [] },
        );
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(problems).toContain(
      'acme.domain: "localhost" is not a DNS name a public certificate authority can issue for (it defaults to server_name; set acme.domain)',
    );
  });
});

describe('renewal and retry times', () => {
  const start = Date.UTC(2028, 0, 1);
  it.each([
    // [lifetime days, reprovision_threshold, renew at day]
    [90, null, 60],
    [45, null, 30],
    [6, null, 4],
    [90, 30, 60], // the same day either way
    [90, 40, 50], // the threshold comes earlier: it wins
    [45, 7, 30], // the threshold comes later: a third of the lifetime wins
  ])('a %i-day certificate with threshold %s renews on day %i', (days, threshold, renewDay) => {
    expect(renewalTime(start, start + days * DAY_MS, threshold)).toBe(start + renewDay * DAY_MS);
  });

  it('backs off exponentially up to the cap, and honours a longer Retry-After', () => {
    const policy = { baseMs: 60_000, maxMs: 6 * 3_600_000 };
    expect([1, 2, 3, 4].map((f) => retryDelay(f, policy, null))).toEqual([
      60_000, 120_000, 240_000, 480_000,
    ]);
    expect(retryDelay(20, policy, null)).toBe(6 * 3_600_000);
    expect(retryDelay(1, policy, 3 * 3_600_000)).toBe(3 * 3_600_000);
    expect(retryDelay(5, policy, 1_000)).toBe(960_000);
  });
});

describe('what went wrong, in plain words', () => {
  const le = {
    domain: 'hearth.example',
    port: 80,
    challenge: 'http-01' as const,
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
  };
  const problem = (type: string, detail: string): AcmeProblem => ({
    type: `urn:ietf:params:acme:error:${type}`,
    detail,
    retryAfterMs: null,
  });
  const err = new Error('x');

  it.each([
    [
      'connection',
      '203.0.113.9: Fetching http://hearth.example/.well-known/acme-challenge/abc: Timeout during connect (likely firewall problem)',
      /^Let's Encrypt could not connect to port 80 of hearth\.example \(at 203\.0\.113\.9\): is the port forwarded to this machine, and does hearth\.example point to this machine's public IP address\?/,
    ],
    [
      'dns',
      'DNS problem: NXDOMAIN looking up A for hearth.example',
      /^Let's Encrypt could not find hearth\.example in DNS: give hearth\.example an A \(or AAAA\) record/,
    ],
    [
      'unauthorized',
      '198.51.100.7: Invalid response from http://hearth.example/.well-known/acme-challenge/abc: 404',
      /^Let's Encrypt reached port 80 of hearth\.example \(at 198\.51\.100\.7\), but what answered was not this Hearth/,
    ],
    [
      'rateLimited',
      'too many certificates (5) already issued for this exact set of domains in the last 168h0m0s',
      /^Let's Encrypt refused to issue another certificate for hearth\.example for now: its rate limits were reached \(too many certificates/,
    ],
    [
      'caa',
      'CAA record for hearth.example prevents issuance',
      /^A CAA record in the DNS of hearth\.example forbids Let's Encrypt to issue certificates for it: add Let's Encrypt to it \(for Let's Encrypt: 0 issue "letsencrypt\.org"\)/,
    ],
    [
      'rejectedIdentifier',
      'Invalid identifier: name is on the blocklist',
      /^Let's Encrypt will not issue certificates for hearth\.example: Invalid identifier/,
    ],
  ])('%s', (type, detail, expected) => {
    expect(describeFailure(err, problem(type, detail), le)).toMatch(expected);
  });

  it('local causes: the challenge port in use, or not permitted', () => {
    expect(describeFailure(new ChallengePortError('EACCES', 80, '0.0.0.0'), null, le)).toBe(
      'Hearth is not allowed to open port 80 for the certificate challenge: ports below 1024 ' +
        'need administrator rights (on Linux, the CAP_NET_BIND_SERVICE capability). Grant it, ' +
        'or set acme.port to a port above 1024 and forward port 80 of your router to it.',
    );
    expect(describeFailure(new ChallengePortError('EADDRINUSE', 80, '::'), null, le)).toMatch(
      /^Hearth could not open port 80 for the certificate challenge: another program/,
    );
  });

  it('the certificate authority unreachable or untrusted', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeFailure(refused, null, le)).toBe(
      "Hearth could not reach Let's Encrypt (ECONNREFUSED): check this machine's internet " +
        'connection, or acme.url.',
    );
    const untrusted = Object.assign(new Error('self-signed'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(describeFailure(untrusted, null, le)).toMatch(/set acme\.ca_bundle/);
  });
});

describe('the admin endpoints with acme disabled', () => {
  it('report nothing issued, and refuse to renew', async () => {
    const s = await createTestServer({ server_name: 'hearth.example' });
    try {
      const admin = await s.register('admin');
      await setServerAdmin(s.ctx, admin.userId, admin.userId, true);
      const res = await s.req('GET', '/_hearth/admin/v1/certificates', { token: admin.token });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        enabled: false,
        domain: 'hearth.example',
        status: 'none',
        not_before: null,
        not_after: null,
        issuer: null,
        staging: false,
        last_error: null,
        next_renewal_ts: null,
        warning: null,
        challenge: 'http-01',
        directory_url: 'https://acme-v02.api.letsencrypt.org/directory',
      });
      const renew = await s.req('POST', '/_hearth/admin/v1/certificates/renew', {
        token: admin.token,
      });
      expect(renew.statusCode).toBe(400);
      expect(renew.json()).toMatchObject({ errcode: 'M_UNKNOWN' });
      expect(renew.json().error).toMatch(/acme\.enabled/);
      const user = await s.register('someone');
      const forbidden = await s.req('GET', '/_hearth/admin/v1/certificates', { token: user.token });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json().errcode).toBe('M_FORBIDDEN');
    } finally {
      await s.close();
    }
  });
});
