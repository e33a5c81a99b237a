import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** PUT /sendToDevice and the `to_device` section of /sync (spec: "Send-to-Device messaging"). */

const V3 = '/_matrix/client/v3';
const PW = 'correct horse battery staple';
type Device = { userId: string; token: string; deviceId: string };
type ToDevice = { sender: string; type: string; content: Record<string, unknown> };

let s: TestServer;
let n = 0;
let txn = 0;

beforeAll(async () => {
  s = await createTestServer();
});
afterAll(() => s.close());

const user = () => s.register(`td${++n}`) as Promise<Device>;

/** A second device of the user, by password login. */
async function anotherDevice(u: Device): Promise<Device> {
  const r = await s.req('POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: u.userId },
      password: PW,
    },
  });
  expect(r.statusCode).toBe(200);
  return { userId: u.userId, token: r.json().access_token, deviceId: r.json().device_id };
}

function send(from: Device, messages: unknown, type = 'org.example.ping', id = `t${++txn}`) {
  return s.req('PUT', `${V3}/sendToDevice/${type}/${id}`, {
    token: from.token,
    body: { messages },
  });
}
async function sendOk(from: Device, messages: unknown, type?: string, id?: string) {
  const r = await send(from, messages, type, id);
  expect(r.statusCode).toBe(200);
  expect(r.json()).toEqual({});
}
async function sync(d: Device, since?: string, timeout = 0) {
  const qs = new URLSearchParams({ timeout: String(timeout), ...(since ? { since } : {}) });
  const r = await s.req('GET', `${V3}/sync?${qs}`, { token: d.token });
  expect(r.statusCode).toBe(200);
  return r.json() as { next_batch: string; to_device: { events: ToDevice[] } };
}

describe('PUT /sendToDevice', () => {
  it('delivers to the named device only, as {sender, type, content}', async () => {
    const a = await user();
    const b1 = await user();
    const b2 = await anotherDevice(b1);
    await sendOk(a, { [b1.userId]: { [b1.deviceId]: { hello: 'one' } } });
    expect((await sync(b1)).to_device.events).toEqual([
      { sender: a.userId, type: 'org.example.ping', content: { hello: 'one' } },
    ]);
    expect((await sync(b2)).to_device.events).toEqual([]);
    expect((await sync(a)).to_device.events).toEqual([]);
  });

  it('"*" reaches every device of the user; a device named beside it gets its own message', async () => {
    const a = await user();
    const b1 = await user();
    const b2 = await anotherDevice(b1);
    const b3 = await anotherDevice(b1);
    await sendOk(a, { [b1.userId]: { '*': { to: 'all' }, [b3.deviceId]: { to: 'three' } } });
    for (const d of [b1, b2]) {
      expect((await sync(d)).to_device.events.map((e) => e.content)).toEqual([{ to: 'all' }]);
    }
    expect((await sync(b3)).to_device.events.map((e) => e.content)).toEqual([{ to: 'three' }]);
  });

  it('keeps messages in order of arrival, from several senders', async () => {
    const a = await user();
    const c = await user();
    const b = await user();
    await sendOk(a, { [b.userId]: { [b.deviceId]: { i: 1 } } });
    await sendOk(c, { [b.userId]: { [b.deviceId]: { i: 2 } } }, 'org.example.other');
    await sendOk(a, { [b.userId]: { [b.deviceId]: { i: 3 } } });
    const got = (await sync(b)).to_device.events;
    expect(got.map((e) => [e.sender, e.type, e.content.i])).toEqual([
      [a.userId, 'org.example.ping', 1],
      [c.userId, 'org.example.other', 2],
      [a.userId, 'org.example.ping', 3],
    ]);
  });

  it('a retried transaction is delivered once; the same id with another type is another request', async () => {
    const a = await user();
    const b = await user();
    const messages = { [b.userId]: { [b.deviceId]: { once: true } } };
    await sendOk(a, messages, 'org.example.ping', 'same');
    await sendOk(a, messages, 'org.example.ping', 'same');
    await sendOk(a, messages, 'org.example.pong', 'same');
    const got = (await sync(b)).to_device.events;
    expect(got.map((e) => e.type)).toEqual(['org.example.ping', 'org.example.pong']);
  });

  it('the same transaction id from another device of the sender is another request', async () => {
    const a1 = await user();
    const a2 = await anotherDevice(a1);
    const b = await user();
    const messages = { [b.userId]: { [b.deviceId]: { x: 1 } } };
    await sendOk(a1, messages, 'org.example.ping', 'dup');
    await sendOk(a2, messages, 'org.example.ping', 'dup');
    expect((await sync(b)).to_device.events).toHaveLength(2);
  });

  it('messages wait until the device syncs past them, then are deleted', async () => {
    const a = await user();
    const b = await user();
    await sendOk(a, { [b.userId]: { [b.deviceId]: { n: 1 } } });
    const first = await sync(b);
    expect(first.to_device.events).toHaveLength(1);
    // Not acknowledged yet: an initial sync (no since) sees it again.
    expect((await sync(b)).to_device.events).toHaveLength(1);
    await sendOk(a, { [b.userId]: { [b.deviceId]: { n: 2 } } });
    const second = await sync(b, first.next_batch);
    expect(second.to_device.events.map((e) => e.content)).toEqual([{ n: 2 }]);
    const third = await sync(b, second.next_batch);
    expect(third.to_device.events).toEqual([]);
    // Both are gone for good.
    expect((await sync(b)).to_device.events).toEqual([]);
  });

  it('a stale since token re-delivers what was not acknowledged, nothing acknowledged', async () => {
    const a = await user();
    const b = await user();
    const start = await sync(b);
    await sendOk(a, { [b.userId]: { [b.deviceId]: { n: 1 } } });
    const got = await sync(b, start.next_batch);
    expect(got.to_device.events).toHaveLength(1);
    // The response was lost: the client retries with the same token and gets it again.
    expect((await sync(b, start.next_batch)).to_device.events).toHaveLength(1);
    expect((await sync(b, got.next_batch)).to_device.events).toEqual([]);
  });

  it('sends at most 100 messages per sync response, the rest in the next', async () => {
    const a = await user();
    const b = await user();
    for (let i = 0; i < 130; i++) await sendOk(a, { [b.userId]: { [b.deviceId]: { i } } });
    const start = await sync(b);
    expect(start.to_device.events.map((e) => e.content.i)).toEqual([...Array(100).keys()]);
    // More is waiting: an incremental sync answers at once, even with a timeout.
    const t0 = performance.now();
    const next = await sync(b, start.next_batch, 5_000);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(next.to_device.events.map((e) => e.content.i)).toEqual(
      [...Array(30).keys()].map((i) => i + 100),
    );
    expect((await sync(b, next.next_batch)).to_device.events).toEqual([]);
  });

  it('wakes a long-polling sync of the target device', async () => {
    const a = await user();
    const b = await user();
    const start = await sync(b);
    const t0 = performance.now();
    const polling = sync(b, start.next_batch, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    await sendOk(a, { [b.userId]: { [b.deviceId]: { wake: 'up' } } });
    const got = await polling;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(got.to_device.events.map((e) => e.content)).toEqual([{ wake: 'up' }]);
  });

  it('accepts messages for users of other servers and unknown devices, delivering nothing', async () => {
    const a = await user();
    const b = await user();
    await sendOk(a, {
      '@someone:elsewhere.example': { DEVICE: { x: 1 } },
      '@nobody:test.local': { '*': { x: 2 } },
      [b.userId]: { NOSUCHDEVICE: { x: 3 } },
    });
    expect((await sync(b)).to_device.events).toEqual([]);
  });

  it.each([
    ['a malformed user id', { 'not-a-user': { D: {} } }, 400, 'M_INVALID_PARAM'],
    ['messages not an object', 'nope', 400, 'M_BAD_JSON'],
    ['devices not an object', { '@x:test.local': [1] }, 400, 'M_BAD_JSON'],
    ['a message not an object', { '@x:test.local': { D: 'text' } }, 400, 'M_BAD_JSON'],
  ])('refuses %s with %i %s and delivers nothing', async (_, messages, status, errcode) => {
    const a = await user();
    const b = await user();
    const bad =
      typeof messages === 'object' && !Array.isArray(messages)
        ? { ...messages, [b.userId]: { [b.deviceId]: { ok: 1 } } }
        : messages;
    expectError(await send(a, bad), status, errcode);
    expect((await sync(b)).to_device.events).toEqual([]);
  });

  it('refuses a body without messages (400 M_MISSING_PARAM) and needs a token (401)', async () => {
    const a = await user();
    const r = await s.req('PUT', `${V3}/sendToDevice/org.example.x/t-missing`, {
      token: a.token,
      body: {},
    });
    expectError(r, 400, 'M_MISSING_PARAM');
    const anon = await s.req('PUT', `${V3}/sendToDevice/org.example.x/t-anon`, {
      body: { messages: {} },
    });
    expectError(anon, 401, 'M_MISSING_TOKEN');
  });
});

describe('to-device stream across a restart', () => {
  it('sync tokens stay valid and messages stay queued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-td-restart-'));
    try {
      let srv = await createTestServer({}, { dir });
      const reg = async (name: string) => srv.register(name) as Promise<Device>;
      const a = await reg('ra');
      const b = await reg('rb');
      const put = async (id: string, content: Record<string, unknown>) => {
        const r = await srv.req('PUT', `${V3}/sendToDevice/org.example.r/${id}`, {
          token: a.token,
          body: { messages: { [b.userId]: { [b.deviceId]: content } } },
        });
        expect(r.statusCode).toBe(200);
      };
      const syncB = async (since?: string) => {
        const qs = since ? `?since=${since}` : '';
        const r = await srv.req('GET', `${V3}/sync${qs}`, { token: b.token });
        expect(r.statusCode).toBe(200);
        return r.json() as { next_batch: string; to_device: { events: ToDevice[] } };
      };
      await put('r1', { n: 1 });
      const first = await syncB();
      expect(first.to_device.events.map((e) => e.content)).toEqual([{ n: 1 }]);
      await put('r2', { n: 2 });
      await srv.close();

      srv = await createTestServer({}, { dir });
      // The retried r2 is known after the restart too.
      await put('r2', { n: 2 });
      await put('r3', { n: 3 });
      const second = await syncB(first.next_batch);
      expect(second.to_device.events.map((e) => e.content)).toEqual([{ n: 2 }, { n: 3 }]);
      expect((await syncB(second.next_batch)).to_device.events).toEqual([]);
      await srv.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
