import { afterAll, beforeAll, expect, test } from 'vitest';
import { fillPath, loadEndpointRows } from '../../helpers/endpoints.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

// Every server-server endpoint of the modules issue 4 brings is routed: sent without an
// X-Matrix signature, one that needs it answers 401 M_UNAUTHORIZED (or 400 for a request
// it can tell is malformed first), one that needs none answers; none answers 404/405
// M_UNRECOGNIZED ("no such endpoint"). Rows: test/fixtures/endpoints.tsv, derived from
// matrix-org/matrix-spec (see /work/shared/spec/README.md); the client-server twin is
// test/integration/endpoint-coverage.test.ts.

const MODULES = new Set([
  'backfill',
  'content_repository',
  'event_auth',
  'events',
  'invites-v1',
  'invites-v2',
  'joins-v1',
  'joins-v2',
  'keys_query',
  'keys_server',
  'knocks',
  'leaving-v1',
  'leaving-v2',
  'public_rooms',
  'query',
  'space_hierarchy',
  'transactions',
  'user_devices',
  'user_keys',
  'version',
]);

/** Plausible path parameters: names of this server, so nothing is asked of another. */
const PARAMS: Record<string, string> = {
  roomId: '!coverage:test.local',
  eventId: '$coverage',
  userId: '@coverage:test.local',
  txnId: 'coverage-txn',
  queryType: 'profile',
  serverName: 'test.local',
  mediaId: 'coverage',
};

const rows = loadEndpointRows('server-server', MODULES);

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

test('the fixture lists the endpoints of these modules', () => {
  expect(new Set(rows.map((r) => r.module))).toEqual(MODULES);
  expect(rows.length).toBeGreaterThanOrEqual(25);
});

test.each(rows.map((r) => [r.method, r.path, r] as const))(
  '%s %s is routed',
  async (_m, _p, row) => {
    const url = fillPath(row.path, PARAMS);
    const body = row.method === 'PUT' || row.method === 'POST' ? '{}' : undefined;
    const r = await s.req(row.method, url, {
      ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    const errcode = r.body ? (JSON.parse(r.body) as { errcode?: string }).errcode : undefined;
    const seen = `${row.method} ${url} -> ${r.statusCode} ${r.body.slice(0, 200)}`;
    expect(errcode, seen).not.toBe('M_UNRECOGNIZED');
    expect(r.statusCode, seen).not.toBe(405);
    expect(r.statusCode, seen).toBeLessThan(500);
    if (row.auth === 'required') {
      expect([400, 401], seen).toContain(r.statusCode);
      if (r.statusCode === 401) expect(errcode, seen).toBe('M_UNAUTHORIZED');
    }
  },
);
