import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

// Every spec endpoint of the modules userdata serves is routed: sent with plausible
// parameters and a user's token, none answers M_UNRECOGNIZED or a 5xx. Rows:
// test/fixtures/endpoints.tsv, derived from matrix-org/matrix-spec.

const MODULES = new Set(['account-data', 'tags', 'receipts', 'read_markers', 'typing']);

const PARAMS: Record<string, string> = {
  roomId: '!room:test.local',
  type: 'org.example.config',
  tag: 'u.work',
  receiptType: 'm.read',
  eventId: '$event',
};

function loadRows(): { method: string; path: string; module: string }[] {
  const url = new URL('../../fixtures/endpoints.tsv', import.meta.url);
  const [header, ...lines] = readFileSync(url, 'utf8').trimEnd().split('\n');
  const cols = header!.split('\t');
  return lines
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])))
    .map((r) => ({ method: r.method!, path: r.path!, module: r.module! }))
    .filter((r) => MODULES.has(r.module));
}

const rows = loadRows();
let s: TestServer;
let user: { userId: string; token: string };
beforeAll(async () => {
  s = await createTestServer();
  user = await s.register('alice');
});
afterAll(() => s.close());

test('the fixture lists the endpoints of these modules', () => {
  expect(new Set(rows.map((r) => r.module))).toEqual(MODULES);
  expect(rows.length).toBe(10);
});

test.each(rows.map((r) => [r.method, r.path] as const))('%s %s is served', async (method, path) => {
  const params: Record<string, string> = { ...PARAMS, userId: user.userId };
  const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name]!));
  const body = method === 'PUT' || method === 'POST' ? { typing: false } : undefined;
  const r = await s.req(method, url, { token: user.token, ...(body ? { body } : {}) });
  const errcode = r.body ? (JSON.parse(r.body) as { errcode?: string }).errcode : undefined;
  expect(errcode, `${method} ${path} -> ${r.statusCode} ${r.body}`).not.toBe('M_UNRECOGNIZED');
  expect(r.statusCode).toBeLessThan(500);
});
