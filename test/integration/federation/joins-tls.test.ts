import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FederationSender } from '../../../server/federation/sender/sender.js';
import { startTestSender, until } from '../../helpers/federation-loopback.js';
import {
  createTestPki,
  freeLoopbackPort,
  listenLocalhostTlsServer,
  type TestPki,
  type TlsTestServer,
} from '../../helpers/tls.js';

/**
 * A remote join through the real transport: two Hearths named localhost:PORT, each serving
 * federation over TLS with a certificate of a test CA that both trust
 * (federation_custom_ca_list), loopback allowed (ip_range_blacklist: []), as `hearth demo`
 * runs them. A user of B joins a room of A by alias and the two talk.
 */

const NO_LIMIT = { per_second: 1000, burst_count: 1000 };
let pki: TestPki;
let a: TlsTestServer;
let b: TlsTestServer;
const senders: FederationSender[] = [];

const start = (port: number) =>
  listenLocalhostTlsServer(pki, port, { rc_joins: { local: NO_LIMIT, remote: NO_LIMIT } });

beforeAll(async () => {
  pki = createTestPki();
  a = await start(await freeLoopbackPort());
  b = await start(await freeLoopbackPort());
  for (const s of [a, b]) senders.push(await startTestSender(s.ctx));
});

afterAll(async () => {
  for (const s of senders) await s.stop();
  await b?.close();
  await a?.close();
  pki?.close();
});

test('a user of B joins #room:A by alias over TLS, and messages flow both ways', async () => {
  const nameA = `localhost:${a.port}`;
  const alice = await a.register('alice');
  const bob = await b.register('bob');
  const created = await a.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat', room_alias_name: 'tls', name: 'Over TLS' },
  });
  const roomId = created.json().room_id as string;

  const joined = await b.req(
    'POST',
    `/_matrix/client/v3/join/${encodeURIComponent(`#tls:${nameA}`)}`,
    {
      token: bob.token,
      body: {},
    },
  );
  expect(joined.statusCode, joined.body).toBe(200);
  expect(joined.json().room_id).toBe(roomId);
  const members = await a.req('GET', `/_matrix/client/v3/rooms/${roomId}/joined_members`, {
    token: alice.token,
  });
  expect(Object.keys(members.json().joined).sort()).toEqual([alice.userId, bob.userId].sort());

  const timelineOf = async (s: TlsTestServer, token: string) =>
    (
      await s.req('GET', `/_matrix/client/v3/rooms/${roomId}/messages?dir=b&limit=20`, { token })
    ).json().chunk as { content: { body?: string } }[];
  await b.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/1`, {
    token: bob.token,
    body: { msgtype: 'm.text', body: 'from B over TLS' },
  });
  await until(
    async () =>
      (await timelineOf(a, alice.token)).find((e) => e.content.body === 'from B over TLS'),
    15_000,
  );
  await a.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/1`, {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'from A over TLS' },
  });
  await until(
    async () => (await timelineOf(b, bob.token)).find((e) => e.content.body === 'from A over TLS'),
    15_000,
  );
});
