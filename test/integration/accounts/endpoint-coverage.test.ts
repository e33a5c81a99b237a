import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

// Every spec endpoint of the modules the accounts domain and discovery serve is routed:
// sent with plausible parameters and a user's token, none answers M_UNRECOGNIZED (which
// means "no such endpoint" or "no such method here"). Rows: test/fixtures/endpoints.tsv,
// derived from matrix-org/matrix-spec (see /work/shared/spec/README.md).

const MODULES = new Set([
  'login',
  'registration',
  'logout',
  'whoami',
  'device_management',
  'profile',
  'password_management',
  'account_deactivation',
  'capabilities',
  'versions',
  'refresh',
  'wellknown',
  'registration_tokens',
]);

/** Plausible values for the path parameters these endpoints take. */
const PARAMS: Record<string, string> = {
  userId: '@alice:test.local',
  deviceId: 'ABC',
  keyName: 'displayname',
};

interface Row {
  method: string;
  path: string;
  module: string;
}

function loadRows(): Row[] {
  const url = new URL('../../fixtures/endpoints.tsv', import.meta.url);
  const [header, ...lines] = readFileSync(url, 'utf8').trimEnd().split('\n');
  const cols = header!.split('\t');
  return lines
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])))
    .map((r) => ({ method: r.method!, path: r.path!, module: r.module! }))
    .filter((r) => MODULES.has(r.module));
}

function fillPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = PARAMS[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} in ${path}`);
    return encodeURIComponent(value);
  });
}

const rows = loadRows();

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

test('the fixture lists the endpoints of these modules', () => {
  expect(new Set(rows.map((r) => r.module))).toEqual(MODULES);
  expect(rows.length).toBeGreaterThanOrEqual(28);
});

let n = 0;
test.each(rows.map((r) => [r.method, r.path, r] as const))(
  '%s %s is served',
  async (_m, _p, row) => {
    // A user of its own for each endpoint: some of them (logout, deactivate) end the session.
    const user = await s.register(`user${++n}`);
    const body = row.method === 'PUT' || row.method === 'POST' ? '{}' : undefined;
    const r = await s.req(row.method, fillPath(row.path), {
      token: user.token,
      ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    const errcode = r.body ? (JSON.parse(r.body) as { errcode?: string }).errcode : undefined;
    expect(errcode, `${row.method} ${row.path} -> ${r.statusCode} ${r.body}`).not.toBe(
      'M_UNRECOGNIZED',
    );
    expect(r.statusCode).not.toBe(405);
    expect(r.statusCode).toBeLessThan(500);
  },
);
