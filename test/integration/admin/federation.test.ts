import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { typingEdu } from '../../../server/federation/sender/edus.js';
import { sendEdu } from '../../../server/federation/sender/queue.js';
import {
  startFederationSender,
  type FederationSender,
} from '../../../server/federation/sender/sender.js';
import {
  FederationTransportError,
  type FederationClient,
} from '../../../server/federation/types.js';
import { useServer, type TestServer } from '../../helpers/server.js';
import { expectError, registerAdmin, type Session } from './admin-helpers.js';

// Federation destinations as the admin API shows them, and "retry now": a destination the
// sender backs off from (an hour) is tried again at once after reset_connection.

const A = '/_synapse/admin/v1/federation/destinations';
const get = useServer();
let s: TestServer;
let admin: Session;
let bob: Session;
let sender: FederationSender;
/** Destinations that refuse connections, and the transactions the others received. */
const down = new Set(['far.example', 'gone.example', 'zed.example']);
const received: string[] = [];

const client: FederationClient = {
  async request(destination, req) {
    if (down.has(destination)) {
      throw new FederationTransportError('connection refused', destination, 'connect');
    }
    if (req.method === 'PUT' && req.path.includes('/send/')) received.push(destination);
    return { status: 200, body: { pdus: {} }, headers: {} };
  },
};

beforeAll(async () => {
  s = get();
  admin = await registerAdmin(s, 'root');
  bob = await s.register('bob');
  sender = await startFederationSender(s.ctx, {
    client,
    backoff: { minMs: 3_600_000, multiplier: 2, maxMs: 7_200_000 },
  });
  for (const d of ['far.example', 'gone.example', 'zed.example']) {
    await sendEdu(s.ctx, typingEdu({ roomId: '!r:test.local', userId: bob.userId, typing: true }), [
      d,
    ]);
  }
  await vi.waitFor(async () => {
    const rows = await s.ctx.db.all<{ n: number }>(
      'SELECT retry_interval_ms AS n FROM federation_destinations WHERE retry_interval_ms > 0',
    );
    expect(rows).toHaveLength(3);
  });
});
afterAll(() => sender.stop());

describe('GET /v1/federation/destinations', () => {
  test('lists destinations with their retry state, paged, sorted and searched', async () => {
    const res = await s.req('GET', A, { token: admin.token });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.total).toBe(3);
    expect(b.destinations.map((d: { destination: string }) => d.destination)).toEqual([
      'far.example',
      'gone.example',
      'zed.example',
    ]);
    expect(b.destinations[0]).toEqual({
      destination: 'far.example',
      retry_last_ts: expect.any(Number),
      retry_interval: 3_600_000,
      failure_ts: expect.any(Number),
      last_successful_stream_ordering: null,
    });
    expect(b.destinations[0].retry_last_ts).toBeGreaterThan(0);
    const page = (await s.req('GET', `${A}?limit=1&from=1&dir=b`, { token: admin.token })).json();
    expect(page).toMatchObject({ total: 3, next_token: '2' });
    expect(page.destinations[0].destination).toBe('gone.example');
    const found = (await s.req('GET', `${A}?destination=zed`, { token: admin.token })).json();
    expect(found.destinations.map((d: { destination: string }) => d.destination)).toEqual([
      'zed.example',
    ]);
    expectError(
      await s.req('GET', `${A}?order_by=colour`, { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
    expectError(await s.req('GET', A, { token: bob.token }), 403, 'M_FORBIDDEN');
  });

  test('one destination; unknown is 404', async () => {
    const one = (await s.req('GET', `${A}/gone.example`, { token: admin.token })).json();
    expect(one).toMatchObject({ destination: 'gone.example', retry_interval: 3_600_000 });
    expectError(
      await s.req('GET', `${A}/never.example`, { token: admin.token }),
      404,
      'M_NOT_FOUND',
    );
    expectError(
      await s.req('GET', `${A}/bad%20name`, { token: admin.token }),
      400,
      'M_INVALID_PARAM',
    );
  });
});

describe('reset_connection', () => {
  test('clears the backoff and sends what is queued now, not in an hour', async () => {
    down.delete('far.example');
    const url = `${A}/far.example/reset_connection`;
    expectError(await s.req('POST', url, { token: bob.token, body: {} }), 403, 'M_FORBIDDEN');
    expect(received).toEqual([]);
    const res = await s.req('POST', url, { token: admin.token, body: {} });
    expect([res.statusCode, res.json()]).toEqual([200, {}]);
    await vi.waitFor(() => expect(received).toContain('far.example'));
    const one = (await s.req('GET', `${A}/far.example`, { token: admin.token })).json();
    expect(one).toMatchObject({ retry_last_ts: 0, retry_interval: 0, failure_ts: null });
    expect(sender.retryStateOf('far.example').retryIntervalMs).toBe(0);
    // The others keep their backoff.
    const other = (await s.req('GET', `${A}/gone.example`, { token: admin.token })).json();
    expect(other.retry_interval).toBe(3_600_000);
    expectError(
      await s.req('POST', `${A}/never.example/reset_connection`, { token: admin.token, body: {} }),
      404,
      'M_NOT_FOUND',
    );
  });
});
