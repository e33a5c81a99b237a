import { describe, expect, it } from 'vitest';
import { hasInboxMessagesUpTo } from '../../../server/to-device/store.js';
import { useServer } from '../../helpers/server.js';
import { sync, V3, type User } from './gaps-helpers.js';

/**
 * A removed device's to-device inbox goes with it (spec "Send-to-Device messaging": messages
 * are for a device; Synapse deletes the inbox with the device): a client that logs in again
 * with the same device_id starts with an empty inbox. Other devices keep theirs.
 */

const PW = 'correct horse battery staple';
const server = useServer();

async function login(userId: string, deviceId: string): Promise<User> {
  const r = await server().req('POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password: PW,
      device_id: deviceId,
    },
  });
  expect(r.statusCode).toBe(200);
  return { userId, token: r.json().access_token, deviceId };
}

let txn = 0;
/** `from` sends one message to each of `to`'s listed devices. */
async function sendTo(from: User, to: string, deviceIds: string[], n: number): Promise<void> {
  const messages = { [to]: Object.fromEntries(deviceIds.map((d) => [d, { n }])) };
  const r = await server().req('PUT', `${V3}/sendToDevice/m.test/td${++txn}`, {
    token: from.token,
    body: { messages },
  });
  expect(r.statusCode).toBe(200);
}

const toDevice = async (u: User) =>
  ((await sync(server(), u)).to_device?.events ?? []) as { content: { n: number } }[];

/** Runs a request that needs password UIA: first without auth (401), then with it. */
async function withUia(u: User, method: string, url: string, body: object) {
  const s = server();
  const first = await s.req(method, url, { token: u.token, body });
  expect(first.statusCode).toBe(401);
  const auth = {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: u.userId },
    password: PW,
    session: first.json().session,
  };
  return s.req(method, url, { token: u.token, body: { ...body, auth } });
}

describe('to-device inbox of a removed device', () => {
  const cases = {
    'DELETE /devices/{deviceId}': (u: User, d: string) =>
      withUia(u, 'DELETE', `${V3}/devices/${d}`, {}),
    'POST /delete_devices': (u: User, d: string) =>
      withUia(u, 'POST', `${V3}/delete_devices`, { devices: [d] }),
    'POST /logout': (_u: User, _d: string, phone: User) =>
      server().req('POST', `${V3}/logout`, { token: phone.token, body: {} }),
  };
  for (const [name, remove] of Object.entries(cases)) {
    it(`${name}: logging in again with the device id finds no old message`, async () => {
      const s = server();
      const tag = name.replace(/\W+/g, '').toLowerCase();
      const sender = await s.register(`sender-${tag}`);
      const main = await s.register(`owner-${tag}`);
      const phone = await login(main.userId, 'PHONE');
      await sendTo(sender, main.userId, [main.deviceId, 'PHONE'], 1);

      expect((await remove(main, 'PHONE', phone)).statusCode).toBe(200);
      const again = await login(main.userId, 'PHONE');
      expect(await toDevice(again)).toEqual([]);
      // The device that stays keeps its message.
      expect((await toDevice(main)).map((ev) => ev.content.n)).toEqual([1]);
      // New messages reach the new session of the device id.
      await sendTo(sender, main.userId, ['PHONE'], 2);
      expect((await toDevice(again)).map((ev) => ev.content.n)).toEqual([2]);
    });
  }

  it('deactivation deletes every inbox of the user, and only theirs', async () => {
    const s = server();
    const sender = await s.register('sender-deact');
    const gone = await s.register('gone');
    const phone = await login(gone.userId, 'PHONE');
    const other = await s.register('other');
    await sendTo(sender, gone.userId, [gone.deviceId, phone.deviceId], 1);
    await sendTo(sender, other.userId, [other.deviceId], 1);
    const r = await withUia(gone, 'POST', `${V3}/account/deactivate`, {});
    expect(r.statusCode).toBe(200);
    for (const d of [gone.deviceId, phone.deviceId]) {
      expect(await hasInboxMessagesUpTo(s.ctx.db, gone.userId, d, Infinity)).toBe(false);
    }
    expect((await toDevice(other)).map((ev) => ev.content.n)).toEqual([1]);
  });
});
