import { Writable } from 'node:stream';
import { beforeAll, describe, expect, test } from 'vitest';
import { attachLogRing, LogRing } from '../../../server/admin/log-ring.js';
import { createLogger } from '../../../server/core/logger.js';
import { useServer, type TestServer } from '../../helpers/server.js';
import { createRoom, enc, expectError, registerAdmin, type Session } from './admin-helpers.js';

// The server's version, Hearth's status figures and the log tail.

const get = useServer();
let s: TestServer;
let admin: Session;
let bob: Session;

beforeAll(async () => {
  s = get();
  // The logger as `hearth serve` builds it (server/main.ts): every line also into a ring.
  const ring = new LogRing(5);
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const log = createLogger('info', sink, (line) => ring.push(line));
  attachLogRing(log, ring);
  s.ctx.log = log;
  admin = await registerAdmin(s, 'root');
  bob = await s.register('bob');
  const roomId = await createRoom(s, bob.token);
  await s.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, {
    token: bob.token,
    body: { msgtype: 'm.text', body: 'hi' },
  });
});

describe('server version and status', () => {
  test('GET /_synapse/admin/v1/server_version', async () => {
    const res = await s.req('GET', '/_synapse/admin/v1/server_version', { token: admin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ server_version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expectError(
      await s.req('GET', '/_synapse/admin/v1/server_version', { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
  });

  test('GET /_hearth/admin/v1/status has plausible figures', async () => {
    const res = await s.req('GET', '/_hearth/admin/v1/status', { token: admin.token });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.server_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(b.users).toBe(2);
    expect(b.rooms).toBe(1);
    // the room's initial state events and the message
    expect(b.events).toBeGreaterThanOrEqual(6);
    expect(b.uptime_ms).toBeGreaterThan(0);
    expect(b.started_ts).toBeLessThanOrEqual(Date.now() - b.uptime_ms + 1000);
    expect(b.rss_bytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(b.heap_used_bytes).toBeGreaterThan(1024 * 1024);
    expect(b.heap_used_bytes).toBeLessThan(b.rss_bytes);
    expect(b.database_bytes).toBeGreaterThan(4096);
    expect(b.media_bytes).toBe(0);
    expectError(
      await s.req('GET', '/_hearth/admin/v1/status', { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
  });
});

describe('GET /_hearth/admin/v1/logs', () => {
  test('the newest lines, oldest first, bounded, with secrets redacted', async () => {
    s.ctx.log.info({ access_token: 'hat_very_secret', n: 1 }, 'first line');
    s.ctx.log.child({ component: 'test' }).warn({ password: 'hunter2', n: 2 }, 'second line');
    const res = await s.req('GET', '/_hearth/admin/v1/logs?limit=2', { token: admin.token });
    expect(res.statusCode).toBe(200);
    const { lines } = res.json();
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'first line', level: 30, n: 1, access_token: '[redacted]' }),
      expect.objectContaining({
        msg: 'second line',
        level: 40,
        component: 'test',
        password: '[redacted]',
      }),
    ]);
    expect(res.body).not.toContain('hat_very_secret');
    expect(res.body).not.toContain('hunter2');
    // The ring keeps only its newest 5 lines.
    for (let i = 0; i < 8; i++) s.ctx.log.info({ i }, 'filler');
    const all = (
      await s.req('GET', '/_hearth/admin/v1/logs?limit=100', { token: admin.token })
    ).json();
    expect(all.lines.map((l: { i: number }) => l.i)).toEqual([3, 4, 5, 6, 7]);
    // A line too long for the ring is cut, and served as text.
    s.ctx.log.info({ blob: 'x'.repeat(10_000) }, 'a long line');
    const [long] = (
      await s.req('GET', '/_hearth/admin/v1/logs?limit=1', { token: admin.token })
    ).json().lines;
    expect(long).toEqual({ msg: expect.stringContaining('"blob":"xxxx'), truncated: true });
    expect(long.msg.length).toBe(8192);
    expectError(
      await s.req('GET', '/_hearth/admin/v1/logs?limit=x', { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(
      await s.req('GET', '/_hearth/admin/v1/logs', { token: bob.token }),
      403,
      'M_FORBIDDEN',
    );
  });
});
