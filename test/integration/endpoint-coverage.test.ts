import { afterAll, beforeAll, expect, test } from 'vitest';
import { fillPath, loadEndpointRows } from '../helpers/endpoints.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

// Every spec endpoint of the modules Hearth serves so far is routed: sent with plausible
// parameters and a user's token, none answers M_UNRECOGNIZED (which means "no such
// endpoint" or "no such method here"). Rows: test/fixtures/endpoints.tsv, derived from
// matrix-org/matrix-spec (see /work/shared/spec/README.md). A module joins this list when
// the issue that brings it lands.

const MODULES = new Set([
  // issue 2: accounts and discovery
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
  // issue 3: rooms, events and sync
  'create_room',
  'rooms',
  'room_state',
  'room_send',
  'redaction',
  'joining',
  'leaving',
  'inviting',
  'kicking',
  'banning',
  'knocking',
  'list_joined_rooms',
  'message_pagination',
  'event_context',
  'directory',
  'list_public_rooms',
  'relations',
  'threads_list',
  'typing',
  'receipts',
  'read_markers',
  'account-data',
  'tags',
  'presence',
  'to_device',
  'filter',
  'sync',
  'room_upgrades',
  'search',
  'users',
  'report_content',
  'space_hierarchy',
  'pushrules',
  'room_event_by_timestamp',
  // issue 5: end-to-end encryption
  'keys',
  'cross_signing',
  'key_backup',
  // issue 6: the media repository
  'content-repo',
  'authed-content-repo',
  'voip',
]);

/** Plausible values for the path parameters, given the user's own room and event. */
function params(user: { userId: string; deviceId: string }, roomId: string, eventId: string) {
  return {
    userId: user.userId,
    deviceId: user.deviceId,
    keyName: 'displayname',
    roomId,
    roomIdOrAlias: roomId,
    roomAlias: '#coverage:test.local',
    eventId,
    eventType: 'm.room.message',
    type: 'org.example.coverage',
    stateKey: '',
    txnId: 'coverage-txn',
    filterId: '0',
    kind: 'override',
    ruleId: '.m.rule.master',
    relType: 'm.thread',
    receiptType: 'm.read',
    tag: 'u.coverage',
    version: '1',
    sessionId: 'coverage-session',
    serverName: 'test.local',
    mediaId: 'CoverageMediaId',
    fileName: 'coverage.bin',
  } as Record<string, string>;
}

const rows = loadEndpointRows('client-server', MODULES);

let s: TestServer;
beforeAll(async () => {
  // URL previews are off by default, and off their endpoints answer M_UNRECOGNIZED as
  // Synapse's do; on here (the request names no URL, so nothing is fetched).
  s = await createTestServer({ url_preview_enabled: true, url_preview_ip_range_blacklist: [] });
});
afterAll(() => s.close());

test('the fixture lists the endpoints of these modules', () => {
  expect(new Set(rows.map((r) => r.module))).toEqual(MODULES);
  expect(rows.length).toBeGreaterThanOrEqual(90);
});

let n = 0;
test.each(rows.map((r) => [r.method, r.path, r] as const))(
  '%s %s is served',
  async (_m, _p, row) => {
    // A user and room of its own for each endpoint: some (logout, leave, upgrade) end them.
    const user = await s.register(`user${++n}`);
    const room = await s.req('POST', '/_matrix/client/v3/createRoom', {
      token: user.token,
      body: {},
    });
    const roomId = room.json<{ room_id: string }>().room_id;
    const sent = await s.req('PUT', `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t1`, {
      token: user.token,
      body: { msgtype: 'm.text', body: 'hello' },
    });
    const eventId = sent.json<{ event_id: string }>().event_id;
    const body = row.method === 'PUT' || row.method === 'POST' ? '{}' : undefined;
    const url = fillPath(row.path, params(user, roomId, eventId));
    const r = await s.req(row.method, url, {
      token: user.token,
      ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    const errcode = r.body ? (JSON.parse(r.body) as { errcode?: string }).errcode : undefined;
    expect(errcode, `${row.method} ${url} -> ${r.statusCode} ${r.body}`).not.toBe('M_UNRECOGNIZED');
    expect(r.statusCode).not.toBe(405);
    expect(r.statusCode).toBeLessThan(500);
  },
);
