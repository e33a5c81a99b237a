import { afterAll, beforeAll, expect, test } from 'vitest';
import { until } from '../../helpers/federation-loopback.js';
import { sendTxn } from '../federation/receive-helpers.js';
import { enc, startTwoServers, V3, type TwoServers } from './federation-helpers.js';
import { login, sync, type Device } from './keys-fixtures.js';

/**
 * To-device messages between two Hearths (m.direct_to_device, server-server
 * "Send-to-device messaging"): alice of A reaches one named device of bob's on B, or all of
 * them with `*`, each once; an EDU that comes again with the same message_id is not
 * delivered again; a request too large for one EDU is split over several, and a message to
 * one device that no EDU can hold is 413 M_TOO_LARGE, with nothing delivered to anyone.
 */

const ports = new Map<string, number>();
let t: TwoServers;
let bobPhone: Device;
let alicePhone: Device;
const BOB = '@bob:hs-b.test';
const since = new Map<string, string>();

beforeAll(async () => {
  t = await startTwoServers(ports);
  bobPhone = await login(t.b, t.bob);
  alicePhone = await login(t.a, t.alice);
  for (const [s, d] of [
    [t.b, t.bob],
    [t.b, bobPhone],
    [t.a, alicePhone],
  ] as const) {
    since.set(d.deviceId, (await sync(s, d)).next_batch);
  }
}, 60_000);
afterAll(() => t?.close());

type Event = { sender: string; type: string; content: Record<string, unknown> };

/** The to-device events a device gets in its next syncs (acknowledging them), for `ms` at most. */
async function inbox(s: TwoServers['a'], d: Device, atLeast: number, ms = 5000): Promise<Event[]> {
  const got: Event[] = [];
  const end = Date.now() + ms;
  do {
    const r = await s.req('GET', `${V3}/sync?timeout=200&since=${enc(since.get(d.deviceId)!)}`, {
      token: d.token,
    });
    const body = r.json();
    since.set(d.deviceId, body.next_batch);
    got.push(...((body.to_device?.events ?? []) as Event[]));
  } while (got.length < atLeast && Date.now() < end);
  return got;
}

async function sendToDevice(txnId: string, messages: Record<string, unknown>, type = 'm.test') {
  return t.a.req('PUT', `${V3}/sendToDevice/${type}/${txnId}`, {
    token: t.alice.token,
    body: { messages },
  });
}

test('a message to one device of bob, and one to all of them (*), each arrive once', async () => {
  const one = await sendToDevice('t1', { [BOB]: { [bobPhone.deviceId]: { n: 1 } } });
  expect(one.statusCode).toBe(200);
  const all = await sendToDevice('t2', { [BOB]: { '*': { n: 2 } } });
  expect(all.statusCode).toBe(200);
  // The retried request (same txn id) sends nothing again.
  expect((await sendToDevice('t2', { [BOB]: { '*': { n: 2 } } })).statusCode).toBe(200);

  const phone = await inbox(t.b, bobPhone, 2);
  expect(phone).toEqual([
    { sender: t.alice.userId, type: 'm.test', content: { n: 1 } },
    { sender: t.alice.userId, type: 'm.test', content: { n: 2 } },
  ]);
  const laptop = await inbox(t.b, t.bob, 1);
  expect(laptop).toEqual([{ sender: t.alice.userId, type: 'm.test', content: { n: 2 } }]);
  // Nothing more comes (no duplicate from the retry).
  expect(await inbox(t.b, bobPhone, 1, 600)).toEqual([]);
});

test('an EDU received again with the same message_id is delivered once', async () => {
  const edu = {
    edu_type: 'm.direct_to_device',
    content: {
      sender: t.alice.userId,
      type: 'm.again',
      message_id: 'same-id-twice',
      messages: { [BOB]: { [t.bob.deviceId]: { once: true } } },
    },
  };
  expect((await sendTxn(t.a, t.b, `again-1-${Date.now()}`, { edus: [edu] })).status).toBe(200);
  expect((await sendTxn(t.a, t.b, `again-2-${Date.now()}`, { edus: [edu] })).status).toBe(200);
  const got = await inbox(t.b, t.bob, 2, 1000);
  expect(got).toEqual([{ sender: t.alice.userId, type: 'm.again', content: { once: true } }]);
});

/** The m.direct_to_device EDUs A has waiting (their JSON). */
async function queued(): Promise<string[]> {
  const rows = await t.a.ctx.db.all<{ content_json: string }>(
    `SELECT content_json FROM federation_outbox_edus WHERE edu_type = 'm.direct_to_device'`,
  );
  return rows.map((r) => r.content_json);
}

test('a request too large for one EDU is split: every device gets its message', async () => {
  const big = (n: number) => ({ n, pad: 'x'.repeat(40_000) });
  await until(async () => (await queued()).length === 0);
  await t.stopSenderOfA();
  const r = await sendToDevice('t3', {
    [BOB]: { [t.bob.deviceId]: big(1), [bobPhone.deviceId]: big(2) },
  });
  expect(r.statusCode, r.body).toBe(200);
  const edus = await queued();
  expect(edus).toHaveLength(2);
  expect(edus.every((e) => e.length < 65_536)).toBe(true);
  await t.startSenderOfA();
  const [laptop, phone] = await Promise.all([inbox(t.b, t.bob, 1), inbox(t.b, bobPhone, 1)]);
  expect(laptop.map((e) => e.content.n)).toEqual([1]);
  expect(phone.map((e) => e.content.n)).toEqual([2]);
});

test('a message to one device that no EDU can hold: 413 M_TOO_LARGE, nothing delivered', async () => {
  await until(async () => (await queued()).length === 0);
  const r = await sendToDevice('t4', {
    [BOB]: { [t.bob.deviceId]: { pad: 'x'.repeat(70_000) }, [bobPhone.deviceId]: { small: 1 } },
    [t.alice.userId]: { [alicePhone.deviceId]: { local: 1 } },
  });
  expect(r.statusCode).toBe(413);
  expect(r.json().errcode).toBe('M_TOO_LARGE');
  expect(await queued()).toEqual([]);
  expect(await inbox(t.a, alicePhone, 1, 500)).toEqual([]);
  expect(await inbox(t.b, bobPhone, 1, 500)).toEqual([]);
  // The transaction id was not used up: the same id with a message that fits goes through.
  const ok = await sendToDevice('t4', { [BOB]: { [bobPhone.deviceId]: { small: 2 } } });
  expect(ok.statusCode).toBe(200);
  expect((await inbox(t.b, bobPhone, 1)).map((e) => e.content)).toEqual([{ small: 2 }]);
});
