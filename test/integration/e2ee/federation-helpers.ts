import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { FederationSender } from '../../../server/federation/sender/sender.js';
import {
  startFederatedServer,
  startTestSender,
  type FederatedTestServer,
} from '../../helpers/federation-loopback.js';
import type { Device } from './keys-fixtures.js';

/**
 * Shared set-up of the federation-*.test.ts files (end-to-end encryption over federation):
 * two real Hearths on loopback with their outgoing queues running, alice of hs-a.test in a
 * room of hers that bob of hs-b.test joined through B's client API; and stand-in servers
 * (plain node:http, no Hearth) that answer other servers' requests as a test makes them.
 */

export const V3 = '/_matrix/client/v3';
export const FED = '/_matrix/federation/v1';
export const enc = encodeURIComponent;

/** Limits high enough for servers that create rooms and log in quickly. */
const LIMITS = {
  rc_room_creation: { per_second: 1000, burst_count: 1000 },
  rc_joins: {
    local: { per_second: 1000, burst_count: 1000 },
    remote: { per_second: 1000, burst_count: 1000 },
  },
};

export interface TwoServers {
  a: FederatedTestServer;
  b: FederatedTestServer;
  alice: Device;
  bob: Device;
  roomId: string;
  /** Stops A's outgoing queue (what it queues waits in its outbox) or starts it again. */
  stopSenderOfA(): Promise<void>;
  startSenderOfA(): Promise<void>;
  close(): Promise<void>;
}

/**
 * hs-a.test and hs-b.test, senders running; alice's public room on A, joined by bob of B.
 * Both share device names with other servers (allow_device_name_lookup_over_federation),
 * unless `shareDeviceNames` is false (the default of the config key).
 */
export async function startTwoServers(
  ports: Map<string, number>,
  opts: { shareDeviceNames?: boolean } = {},
): Promise<TwoServers> {
  const config = {
    ...LIMITS,
    allow_device_name_lookup_over_federation: opts.shareDeviceNames ?? true,
  };
  const a = await startFederatedServer('hs-a.test', ports, { config });
  const b = await startFederatedServer('hs-b.test', ports, { config });
  let senderOfA: FederationSender | null = await startTestSender(a.ctx);
  const senderOfB = await startTestSender(b.ctx);
  const alice = await a.register('alice');
  const bob = await b.register('bob');
  const created = await a.req('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: { preset: 'public_chat' },
  });
  expect(created.statusCode, created.body).toBe(200);
  const roomId = created.json().room_id as string;
  const joined = await b.req('POST', `${V3}/join/${enc(roomId)}?server_name=hs-a.test`, {
    token: bob.token,
    body: {},
  });
  expect(joined.statusCode, joined.body).toBe(200);
  return {
    a,
    b,
    alice,
    bob,
    roomId,
    async stopSenderOfA() {
      await senderOfA?.stop();
      senderOfA = null;
    },
    async startSenderOfA() {
      senderOfA ??= await startTestSender(a.ctx);
    },
    async close() {
      await senderOfA?.stop();
      await senderOfB.stop();
      await Promise.all([a, b].map((s) => s.close()));
    },
  };
}

/** A stand-in server: `answer` gets each request with its parsed JSON body. */
export interface StandIn {
  requests: { method: string; path: string; body: unknown }[];
  close(): Promise<void>;
}

export async function startStandIn(
  name: string,
  ports: Map<string, number>,
  answer: (path: string, body: unknown) => Promise<{ status: number; body: unknown }> | null,
): Promise<StandIn> {
  const requests: StandIn['requests'] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const body: unknown = text ? JSON.parse(text) : undefined;
      requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      const pending = answer(req.url ?? '', body);
      if (!pending) {
        open.add(res); // never answers
        return;
      }
      void pending.then((a) => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.set(name, (server.address() as AddressInfo).port);
  return {
    requests,
    async close() {
      ports.delete(name);
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
