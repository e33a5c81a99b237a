import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * GET /voip/turnServer against Debian's real coturn on loopback: the credentials Hearth
 * hands out (coturn's REST API scheme over turn_shared_secret) let a TURN client allocate a
 * relay, and forged or expired ones do not. .ci/run installs coturn; without it the coturn
 * test fails under CI=true and is skipped elsewhere.
 */
const TURNSERVER = '/usr/bin/turnserver';
const UCLIENT = '/usr/bin/turnutils_uclient';
const SECRET = 'test-turn-secret';
const haveCoturn = existsSync(TURNSERVER) && existsSync(UCLIENT);
if (!haveCoturn && process.env.CI === 'true') {
  throw new Error('coturn is missing: apt-get install coturn (CI must not skip)');
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Runs turnutils_uclient with long-term credentials; true when it allocated a relay. */
function turnAllocates(port: number, username: string, password: string): boolean {
  const r = spawnSync(
    UCLIENT,
    [
      '-p',
      String(port),
      '-u',
      username,
      '-w',
      password,
      '-r',
      'test.local',
      '-y',
      '-n',
      '1',
      '-m',
      '1',
      '-l',
      '50',
      '127.0.0.1',
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  const out = `${r.stdout}${r.stderr}`;
  // A refused allocation ends with "Cannot complete Allocation"; a working relay reports
  // its packets.
  return r.status === 0 && out.includes('Total lost packets 0') && !out.includes('Cannot complete');
}

describe('GET /_matrix/client/v3/voip/turnServer', () => {
  it('answers {} without TURN configured, and needs an access token', async () => {
    const s = await createTestServer();
    try {
      const { token } = await s.register('nobody');
      const res = await s.req('GET', '/_matrix/client/v3/voip/turnServer', { token });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
      const anon = await s.req('GET', '/_matrix/client/v3/voip/turnServer');
      expect(anon.statusCode).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('fixed credentials, and none for guests when turn_allow_guests is false', async () => {
    const s = await createTestServer({
      turn_uris: ['turn:turn.example.org:3478?transport=udp'],
      turn_username: 'fixed',
      turn_password: 'pw',
      turn_user_lifetime: '1d',
      turn_allow_guests: false,
      allow_guest_access: true,
    });
    try {
      const { token } = await s.register('alice');
      const res = await s.req('GET', '/_matrix/client/v3/voip/turnServer', { token });
      expect(res.json()).toEqual({
        username: 'fixed',
        password: 'pw',
        uris: ['turn:turn.example.org:3478?transport=udp'],
        ttl: 86_400,
      });
      const guest = await s.req('POST', '/_matrix/client/v3/register?kind=guest', { body: {} });
      expect(guest.statusCode).toBe(200);
      const g = await s.req('GET', '/_matrix/client/v3/voip/turnServer', {
        token: guest.json().access_token,
      });
      expect(g.json()).toEqual({});
    } finally {
      await s.close();
    }
  });

  it('refuses a config with a non-TURN URI', async () => {
    await expect(createTestServer({ turn_uris: ['http://turn.example.org'] })).rejects.toThrow(
      /turn_uris/,
    );
  });
});

describe.runIf(haveCoturn)('TURN credentials against a real coturn', () => {
  let s: TestServer;
  let turn: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const logFile = join(tmpdir(), `hearth-coturn-${port}.log`);
    writeFileSync(logFile, '');
    turn = spawn(
      TURNSERVER,
      [
        '-n',
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${port}`,
        '--min-port=49160',
        '--max-port=49200',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--use-auth-secret',
        `--static-auth-secret=${SECRET}`,
        '--realm=test.local',
        '--fingerprint',
        '--allow-loopback-peers',
        `--log-file=${logFile}`,
      ],
      { stdio: 'ignore' },
    );
    // coturn is ready once it listens.
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('ss', ['-lun', `sport = :${port}`], { encoding: 'utf8' });
      if (r.stdout.includes(`:${port}`)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    s = await createTestServer({
      turn_uris: [`turn:127.0.0.1:${port}?transport=udp`],
      turn_shared_secret: SECRET,
      turn_user_lifetime: '10m',
    });
  }, 30_000);
  afterAll(async () => {
    turn?.kill('SIGKILL');
    await s?.close();
  });

  it("a client allocates a relay with Hearth's credentials; forged and expired ones are refused", async () => {
    const { token, userId } = await s.register('caller');
    const res = await s.req('GET', '/_matrix/client/v3/voip/turnServer', { token });
    const c = res.json<{ username: string; password: string; uris: string[]; ttl: number }>();
    expect(c.uris).toEqual([`turn:127.0.0.1:${port}?transport=udp`]);
    expect(c.ttl).toBe(600);
    const [expiry, who] = [
      c.username.slice(0, c.username.indexOf(':')),
      c.username.slice(c.username.indexOf(':') + 1),
    ];
    expect(who).toBe(userId);
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000 + 590);

    expect(turnAllocates(port, c.username, c.password)).toBe(true);
    expect(turnAllocates(port, c.username, 'forged-password')).toBe(false);
    // Credentials whose expiry has passed (made with the same secret) are refused by coturn.
    const { createHmac } = await import('node:crypto');
    const old = `${Math.floor(Date.now() / 1000) - 60}:${userId}`;
    expect(turnAllocates(port, old, createHmac('sha1', SECRET).update(old).digest('base64'))).toBe(
      false,
    );
  });
});
