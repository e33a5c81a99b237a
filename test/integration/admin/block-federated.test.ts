import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  startFederatedServer,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import { enc, expectError, registerAdmin, type Session } from './admin-helpers.js';

// A room of another server blocked here (ahead of anyone joining it): its invites of this
// server's users are refused, and so are their joins, until it is unblocked.

const ports = new Map<string, number>();
let A: FederatedTestServer;
let B: FederatedTestServer;
let alice: Session;
let bob: Session;
let bAdmin: Session;

beforeAll(async () => {
  A = await startFederatedServer('a.test', ports);
  B = await startFederatedServer('b.test', ports);
  alice = await A.register('alice');
  bob = await B.register('bob');
  bAdmin = await registerAdmin(B, 'root');
});
afterAll(async () => {
  await B?.close();
  await A?.close();
});

test("a blocked remote room: invites of this server's users and their joins are refused", async () => {
  const created = await A.req('POST', '/_matrix/client/v3/createRoom', {
    token: alice.token,
    body: { preset: 'public_chat' },
  });
  const roomId = created.json().room_id as string;
  const block = `/_synapse/admin/v1/rooms/${enc(roomId)}/block`;
  expect(
    (await B.req('PUT', block, { token: bAdmin.token, body: { block: true } })).statusCode,
  ).toBe(200);

  const invite = await A.req('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, {
    token: alice.token,
    body: { user_id: bob.userId },
  });
  expectError(invite, 403, 'M_FORBIDDEN');
  const joinUrl = `/_matrix/client/v3/join/${enc(roomId)}?server_name=a.test`;
  expectError(await B.req('POST', joinUrl, { token: bob.token, body: {} }), 403, 'M_FORBIDDEN');

  expect(
    (await B.req('PUT', block, { token: bAdmin.token, body: { block: false } })).statusCode,
  ).toBe(200);
  const joined = await B.req('POST', joinUrl, { token: bob.token, body: {} });
  expect(joined.statusCode, joined.body).toBe(200);
});
