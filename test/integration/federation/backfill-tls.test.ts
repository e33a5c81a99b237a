import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createTestPki,
  freeLoopbackPort,
  listenLocalhostTlsServer,
  type TestPki,
  type TlsTestServer,
} from '../../helpers/tls.js';

/**
 * Backfill through the real transport: two Hearths named localhost:PORT serving federation
 * over TLS with a certificate of a test CA both trust, as `hearth demo` runs them. A user
 * of B joins a room of A after 25 messages and pages back through all of them.
 */

const NO_LIMIT = { per_second: 1000, burst_count: 1000 };
let pki: TestPki;
let a: TlsTestServer;
let b: TlsTestServer;

const start = (port: number) =>
  listenLocalhostTlsServer(pki, port, {
    rc_joins: { local: NO_LIMIT, remote: NO_LIMIT },
    rc_message: NO_LIMIT,
  });

beforeAll(async () => {
  pki = createTestPki();
  a = await start(await freeLoopbackPort());
  b = await start(await freeLoopbackPort());
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  pki?.close();
});

test('a user of B pages back over TLS through the history of a room of A older than the join', async () => {
  const alice = await a.register('alice');
  const bob = await b.register('bob');
  const created = await a.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat', name: 'Old news' },
  });
  expect(created.statusCode, created.body).toBe(200);
  const roomId = created.json().room_id as string;
  const sent: string[] = [];
  for (let i = 1; i <= 25; i++) {
    const res = await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t${i}`, {
      token: alice.token,
      body: { msgtype: 'm.text', body: `old ${i}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    sent.push(`old ${i}`);
  }
  const joined = await b.req(
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(`localhost:${a.port}`)}`,
    { token: bob.token, body: {} },
  );
  expect(joined.statusCode, joined.body).toBe(200);

  const bodies: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 20; page++) {
    const q = `dir=b&limit=8${from ? `&from=${encodeURIComponent(from)}` : ''}`;
    const res = await b.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?${q}`, {
      token: bob.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as {
      chunk: { type: string; content: { body?: string } }[];
      end?: string;
    };
    bodies.push(
      ...body.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body!),
    );
    if (!body.end) break;
    from = body.end;
  }
  expect(bodies).toEqual([...sent].reverse());
}, 60_000);
