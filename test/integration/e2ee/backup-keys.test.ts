import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { V3, createBackup, getVersion, keyData, keysPath, type User } from './backup-helpers.js';

/** /room_keys/keys at its three levels (spec: key_backup.yaml, "Server-side key backups"). */

let s: TestServer;
let n = 0;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`bk${++n}`) as Promise<User>;
const ROOM = '!room:test.local';
const OTHER_ROOM = '!other:test.local';

/** A user with a backup: its version, and request helpers for its keys. */
async function withBackup() {
  const u = await user();
  const version = await createBackup(s, u);
  const put = (body: unknown, roomId?: string, sessionId?: string, v = version) =>
    s.req('PUT', keysPath(v, roomId, sessionId), { token: u.token, body });
  const get = (roomId?: string, sessionId?: string, v = version) =>
    s.req('GET', keysPath(v, roomId, sessionId), { token: u.token });
  const del = (roomId?: string, sessionId?: string, v = version) =>
    s.req('DELETE', keysPath(v, roomId, sessionId), { token: u.token });
  return { u, version, put, get, del };
}

describe('PUT and GET /room_keys/keys', () => {
  it('stores at the three levels and reads back at the three levels', async () => {
    const b = await withBackup();
    const one = await b.put(keyData(true, 0, 0, 'one'), ROOM, 's1');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ etag: expect.any(String), count: 1 });
    const room = await b.put({ sessions: { s2: keyData(false, 1, 0, 'two') } }, ROOM);
    expect(room.json().count).toBe(2);
    const all = await b.put({
      rooms: { [OTHER_ROOM]: { sessions: { s3: keyData(false, 2, 1, 'three') } } },
    });
    expect(all.json().count).toBe(3);

    expect((await b.get(ROOM, 's1')).json()).toEqual(keyData(true, 0, 0, 'one'));
    expect((await b.get(ROOM)).json()).toEqual({
      sessions: { s1: keyData(true, 0, 0, 'one'), s2: keyData(false, 1, 0, 'two') },
    });
    expect((await b.get()).json()).toEqual({
      rooms: {
        [ROOM]: { sessions: { s1: keyData(true, 0, 0, 'one'), s2: keyData(false, 1, 0, 'two') } },
        [OTHER_ROOM]: { sessions: { s3: keyData(false, 2, 1, 'three') } },
      },
    });
    expect((await getVersion(s, b.u)).json()).toMatchObject({ count: 3, etag: all.json().etag });
  });

  it('empty answers: {rooms: {}}, {sessions: {}}, and 404 for one missing session', async () => {
    const b = await withBackup();
    expect((await b.get()).json()).toEqual({ rooms: {} });
    expect((await b.get(ROOM)).json()).toEqual({ sessions: {} });
    expectError(await b.get(ROOM, 'nope'), 404, 'M_NOT_FOUND');
    await b.put(keyData(true, 0, 0), ROOM, 's1');
    expect((await b.get(OTHER_ROOM)).json()).toEqual({ sessions: {} });
    expectError(await b.get(ROOM, 's2'), 404, 'M_NOT_FOUND');
  });

  it('session ids with "/" and "+" (base64) and room ids round-trip through the path', async () => {
    const b = await withBackup();
    const sid = 'ab/c+d/EF0123456789abcdefghijklmnopqrstuvwxyz';
    expect((await b.put(keyData(true, 0, 0), ROOM, sid)).statusCode).toBe(200);
    expect((await b.get(ROOM, sid)).json()).toEqual(keyData(true, 0, 0));
    expect(Object.keys((await b.get(ROOM)).json().sessions)).toEqual([sid]);
  });

  it('an older version stays readable; keys go only to the current one', async () => {
    const b = await withBackup();
    await b.put(keyData(true, 0, 0, 'old'), ROOM, 's1');
    const v2 = await createBackup(s, b.u);
    const stale = await b.put(keyData(true, 0, 0, 'late'), ROOM, 's2');
    expectError(stale, 403, 'M_WRONG_ROOM_KEYS_VERSION');
    expect(stale.json().current_version).toBe(v2);
    for (const level of [
      () => b.put({ sessions: { s2: keyData(true, 0, 0) } }, ROOM),
      () => b.put({ rooms: { [ROOM]: { sessions: { s2: keyData(true, 0, 0) } } } }),
      () => b.put(keyData(true, 0, 0), ROOM, 's2', '99'),
      () => b.put(keyData(true, 0, 0), ROOM, 's2', 'abc'),
    ]) {
      const r = await level();
      expectError(r, 403, 'M_WRONG_ROOM_KEYS_VERSION');
      expect(r.json().current_version).toBe(v2);
    }
    expect((await b.get()).json()).toEqual({
      rooms: { [ROOM]: { sessions: { s1: keyData(true, 0, 0, 'old') } } },
    });
    expect((await b.get(undefined, undefined, v2)).json()).toEqual({ rooms: {} });
  });

  it('with no backup, an upload is 404 M_NOT_FOUND', async () => {
    const u = await user();
    const r = await s.req('PUT', keysPath('1', ROOM, 's1'), {
      token: u.token,
      body: keyData(true, 0, 0),
    });
    expectError(r, 404, 'M_NOT_FOUND');
  });

  it('GET and DELETE of an unknown or deleted version are 404 M_NOT_FOUND', async () => {
    const b = await withBackup();
    for (const v of ['2', 'x']) {
      expectError(await b.get(undefined, undefined, v), 404, 'M_NOT_FOUND');
      expectError(await b.get(ROOM, undefined, v), 404, 'M_NOT_FOUND');
      expectError(await b.get(ROOM, 's1', v), 404, 'M_NOT_FOUND');
      expectError(await b.del(undefined, undefined, v), 404, 'M_NOT_FOUND');
      expectError(await b.del(ROOM, undefined, v), 404, 'M_NOT_FOUND');
      expectError(await b.del(ROOM, 's1', v), 404, 'M_NOT_FOUND');
    }
    await s.req('DELETE', `${V3}/room_keys/version/${b.version}`, { token: b.u.token });
    expectError(await b.get(), 404, 'M_NOT_FOUND');
    expectError(await b.del(), 404, 'M_NOT_FOUND');
    expectError(await b.put(keyData(true, 0, 0), ROOM, 's1'), 404, 'M_NOT_FOUND');
  });

  it('?version= is required at every level and method', async () => {
    const b = await withBackup();
    for (const path of ['', `/${encodeURIComponent(ROOM)}`, `/${encodeURIComponent(ROOM)}/s1`]) {
      const url = `${V3}/room_keys/keys${path}`;
      for (const method of ['GET', 'DELETE']) {
        expectError(await s.req(method, url, { token: b.u.token }), 400, 'M_MISSING_PARAM');
      }
      const body = path.endsWith('s1')
        ? keyData(true, 0, 0)
        : path
          ? { sessions: {} }
          : { rooms: {} };
      expectError(await s.req('PUT', url, { token: b.u.token, body }), 400, 'M_MISSING_PARAM');
    }
    expect((await getVersion(s, b.u)).json().count).toBe(0);
  });
});

describe('the rules for replacing a stored session key', () => {
  // [case, stored, uploaded, whether the upload replaces the stored key]
  const cases: [string, ReturnType<typeof keyData>, ReturnType<typeof keyData>, boolean][] = [
    [
      'verified replaces unverified (even with a higher index and count)',
      keyData(false, 0, 0, 'old'),
      keyData(true, 9, 9, 'new'),
      true,
    ],
    [
      'unverified never replaces verified (even with a lower index)',
      keyData(true, 5, 5, 'old'),
      keyData(false, 0, 0, 'new'),
      false,
    ],
    [
      'same verification: a lower first_message_index replaces',
      keyData(true, 5, 0, 'old'),
      keyData(true, 4, 9, 'new'),
      true,
    ],
    [
      'same verification: a higher first_message_index does not',
      keyData(false, 4, 9, 'old'),
      keyData(false, 5, 0, 'new'),
      false,
    ],
    [
      'same verification and index: a lower forwarded_count replaces',
      keyData(false, 3, 2, 'old'),
      keyData(false, 3, 1, 'new'),
      true,
    ],
    [
      'same verification and index: a higher forwarded_count does not',
      keyData(true, 3, 1, 'old'),
      keyData(true, 3, 2, 'new'),
      false,
    ],
    [
      'all three equal: the stored key stays',
      keyData(true, 3, 1, 'old'),
      keyData(true, 3, 1, 'new'),
      false,
    ],
  ];

  it.each(cases)('%s', async (_name, stored, uploaded, replaces) => {
    const b = await withBackup();
    const first = await b.put(stored, ROOM, 's1');
    const second = await b.put(uploaded, ROOM, 's1');
    expect(second.statusCode).toBe(200);
    expect((await b.get(ROOM, 's1')).json()).toEqual(replaces ? uploaded : stored);
    expect(second.json().count).toBe(1);
    // The etag moves exactly when the stored key changed.
    if (replaces) expect(second.json().etag).not.toBe(first.json().etag);
    else expect(second.json().etag).toBe(first.json().etag);
  });

  it('applies per session inside one upload of many rooms', async () => {
    const b = await withBackup();
    await b.put({
      rooms: {
        [ROOM]: { sessions: { a: keyData(false, 5, 0, 'a-old'), b: keyData(true, 0, 0, 'b-old') } },
      },
    });
    await b.put({
      rooms: {
        [ROOM]: {
          sessions: { a: keyData(false, 2, 0, 'a-new'), b: keyData(false, 0, 0, 'b-new') },
        },
        [OTHER_ROOM]: { sessions: { c: keyData(false, 0, 3, 'c-new') } },
      },
    });
    expect((await b.get()).json()).toEqual({
      rooms: {
        [ROOM]: { sessions: { a: keyData(false, 2, 0, 'a-new'), b: keyData(true, 0, 0, 'b-old') } },
        [OTHER_ROOM]: { sessions: { c: keyData(false, 0, 3, 'c-new') } },
      },
    });
  });
});

describe('etag and count', () => {
  it('move when keys change, and stay when nothing changes', async () => {
    const b = await withBackup();
    const v0 = (await getVersion(s, b.u)).json();
    expect(v0.count).toBe(0);
    const p1 = (await b.put(keyData(false, 1, 0), ROOM, 's1')).json();
    expect(p1.etag).not.toBe(v0.etag);
    const p2 = (await b.put({ sessions: { s2: keyData(false, 0, 0) } }, ROOM)).json();
    expect(p2).toEqual({ etag: expect.any(String), count: 2 });
    expect(new Set([v0.etag, p1.etag, p2.etag]).size).toBe(3);
    // Re-uploading the same keys changes nothing.
    const same = (await b.put({ sessions: { s2: keyData(false, 0, 0) } }, ROOM)).json();
    expect(same).toEqual(p2);
    expect((await getVersion(s, b.u)).json()).toMatchObject({ etag: p2.etag, count: 2 });
    // Deleting nothing changes nothing; deleting a key moves the etag.
    const none = (await b.del(OTHER_ROOM)).json();
    expect(none).toEqual(p2);
    const d1 = (await b.del(ROOM, 's1')).json();
    expect(d1.count).toBe(1);
    expect(d1.etag).not.toBe(p2.etag);
    expect((await getVersion(s, b.u)).json()).toMatchObject({ etag: d1.etag, count: 1 });
  });
});

describe('DELETE /room_keys/keys', () => {
  it('deletes one session, one room, or every key of the backup', async () => {
    const b = await withBackup();
    await b.put({
      rooms: {
        [ROOM]: { sessions: { a: keyData(true, 0, 0), b: keyData(true, 0, 0) } },
        [OTHER_ROOM]: { sessions: { c: keyData(true, 0, 0), d: keyData(true, 0, 0) } },
        '!third:test.local': { sessions: { e: keyData(true, 0, 0) } },
      },
    });
    expect((await b.del(ROOM, 'a')).json().count).toBe(4);
    expect(Object.keys((await b.get(ROOM)).json().sessions)).toEqual(['b']);
    expect((await b.del(OTHER_ROOM)).json().count).toBe(2);
    expect((await b.get(OTHER_ROOM)).json()).toEqual({ sessions: {} });
    const all = await b.del();
    expect(all.statusCode).toBe(200);
    expect(all.json().count).toBe(0);
    expect((await b.get()).json()).toEqual({ rooms: {} });
    // The backup itself stays.
    expect((await getVersion(s, b.u)).json()).toMatchObject({ version: b.version, count: 0 });
  });

  it('can delete from an older version that is not current', async () => {
    const b = await withBackup();
    await b.put(keyData(true, 0, 0), ROOM, 's1');
    await createBackup(s, b.u);
    const r = await b.del(ROOM, 's1');
    expect(r.statusCode).toBe(200);
    expect(r.json().count).toBe(0);
  });
});

describe('bad input is refused whole, and nothing is stored', () => {
  const good = keyData(true, 0, 0);
  const { mac: _mac, ...noMac } = good.session_data;
  it.each([
    ['session_data without mac', { ...good, session_data: noMac }, 400, 'M_BAD_JSON'],
    [
      'session_data with an empty ciphertext',
      { ...good, session_data: { ...good.session_data, ciphertext: '' } },
      400,
      'M_BAD_JSON',
    ],
    ['session_data not an object', { ...good, session_data: 'x' }, 400, 'M_BAD_JSON'],
    ['session_data an array', { ...good, session_data: [] }, 400, 'M_BAD_JSON'],
    ['a negative first_message_index', { ...good, first_message_index: -1 }, 400, 'M_BAD_JSON'],
    ['a fractional forwarded_count', { ...good, forwarded_count: 0.5 }, 400, 'M_BAD_JSON'],
    ['a string first_message_index', { ...good, first_message_index: '1' }, 400, 'M_BAD_JSON'],
    ['an index above 2^53 - 1', { ...good, first_message_index: 2 ** 53 }, 400, 'M_BAD_JSON'],
    ['is_verified not a boolean', { ...good, is_verified: 1 }, 400, 'M_BAD_JSON'],
    ['no is_verified', { ...good, is_verified: undefined }, 400, 'M_MISSING_PARAM'],
    ['no session_data', { ...good, session_data: undefined }, 400, 'M_MISSING_PARAM'],
  ])('%s (in an upload with good keys beside it)', async (_name, bad, status, errcode) => {
    const b = await withBackup();
    await b.put(keyData(true, 0, 0, 'kept'), ROOM, 'kept');
    const before = (await getVersion(s, b.u)).json();
    const rooms = {
      [OTHER_ROOM]: { sessions: { ok1: good } },
      [ROOM]: { sessions: { ok2: good, bad } },
    };
    expectError(await b.put({ rooms }), status, errcode);
    expectError(await b.put({ sessions: { ok2: good, bad } }, ROOM), status, errcode);
    expectError(await b.put(bad, ROOM, 'bad'), status, errcode);
    expect((await getVersion(s, b.u)).json()).toEqual(before);
    expect(Object.keys((await b.get()).json().rooms)).toEqual([ROOM]);
  });

  it('room ids that are not room ids are refused', async () => {
    const b = await withBackup();
    const r = await b.put({
      rooms: { 'not-a-room': { sessions: { s: good } }, [ROOM]: { sessions: { s: good } } },
    });
    expectError(r, 400, 'M_BAD_JSON');
    expectError(await b.put(good, '#alias:test.local', 's'), 400, 'M_INVALID_PARAM');
    expectError(await b.put({ sessions: { s: good } }, 'room'), 400, 'M_INVALID_PARAM');
    expectError(await b.get('room'), 400, 'M_INVALID_PARAM');
    expect((await getVersion(s, b.u)).json().count).toBe(0);
  });

  it('bodies of the wrong shape: no rooms, no sessions, a room without sessions', async () => {
    const b = await withBackup();
    expectError(await b.put({}), 400, 'M_MISSING_PARAM');
    expectError(await b.put({}, ROOM), 400, 'M_MISSING_PARAM');
    expectError(await b.put({ rooms: { [ROOM]: {} } }), 400, 'M_MISSING_PARAM');
    expectError(await b.put({ rooms: [] }), 400, 'M_BAD_JSON');
    expectError(await b.put({ sessions: { s: 'x' } }, ROOM), 400, 'M_BAD_JSON');
    expect((await getVersion(s, b.u)).json().count).toBe(0);
  });
});

describe('keys are per user', () => {
  it("another user cannot read, write or delete someone's keys", async () => {
    const alice = await withBackup();
    await alice.put(keyData(true, 0, 0, 'alice'), ROOM, 's1');
    const bob = await user();
    const as = (method: string, url: string, body?: unknown) =>
      s.req(method, url, { token: bob.token, ...(body ? { body } : {}) });
    const v = alice.version;
    expectError(await as('GET', keysPath(v)), 404, 'M_NOT_FOUND');
    expectError(await as('GET', keysPath(v, ROOM)), 404, 'M_NOT_FOUND');
    expectError(await as('GET', keysPath(v, ROOM, 's1')), 404, 'M_NOT_FOUND');
    expectError(
      await as('PUT', keysPath(v, ROOM, 's1'), keyData(true, 0, 0, 'bob')),
      404,
      'M_NOT_FOUND',
    );
    expectError(await as('DELETE', keysPath(v)), 404, 'M_NOT_FOUND');
    expectError(await as('DELETE', keysPath(v, ROOM, 's1')), 404, 'M_NOT_FOUND');
    // Bob's own backup of the same number holds only his keys.
    const bv = await createBackup(s, bob);
    expect(bv).toBe(v);
    expect((await as('GET', keysPath(bv))).json()).toEqual({ rooms: {} });
    await as('PUT', keysPath(bv, ROOM, 's1'), keyData(false, 5, 5, 'bob'));
    await as('DELETE', keysPath(bv));
    expect((await alice.get(ROOM, 's1')).json()).toEqual(keyData(true, 0, 0, 'alice'));
    expect((await getVersion(s, alice.u)).json().count).toBe(1);
  });
});
