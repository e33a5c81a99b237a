import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors } from '../../helpers/browser.js';
import type { ListeningTestServer } from '../../helpers/listen.js';

/** Helpers of the timeline browser tests (timeline*.test.ts). */

export interface Login {
  userId: string;
  token: string;
  deviceId: string;
}

/** A browser profile signed in as `who` (the stored session, as after a reload) at `hash`. */
export async function openAs(
  browser: Browser,
  server: ListeningTestServer,
  who: Login,
  hash: string,
  viewport = { width: 1280, height: 860 },
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const stored = JSON.stringify({
    homeserverUrl: server.baseUrl,
    userId: who.userId,
    accessToken: who.token,
    deviceId: who.deviceId,
  });
  await context.addInitScript(`localStorage.setItem('hearth.session', ${JSON.stringify(stored)});`);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.baseUrl}/${hash}`);
  return { context, page, errors };
}

/** Calls the client API as `token`; throws with the answer unless 200. */
export async function api<T = Record<string, unknown>>(
  server: ListeningTestServer,
  token: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await server.req(method, path, { token, body });
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

let txn = 0;
/** Sends an event as `token`; returns its id. */
export async function send(
  server: ListeningTestServer,
  token: string,
  roomId: string,
  content: Record<string, unknown>,
  type = 'm.room.message',
): Promise<string> {
  const r = await api<{ event_id: string }>(
    server,
    token,
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/t${Date.now()}-${txn++}`,
    content,
  );
  return r.event_id;
}

export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  /** Present on state events only. */
  state_key?: string;
}

/** The room's latest events (newest first), as another client reads them. */
export async function latestEvents(
  server: ListeningTestServer,
  token: string,
  roomId: string,
  limit = 20,
): Promise<RoomEvent[]> {
  const r = await api<{ chunk: RoomEvent[] }>(
    server,
    token,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`,
  );
  return r.chunk;
}

/** Polls `fn` until it returns a value (not undefined), or fails after `ms`. */
export async function until<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A page on loopback for the link-preview spider: OpenGraph title and description. */
export async function previewTarget(): Promise<{ url: string; close: () => Promise<void> }> {
  const srv: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!doctype html><html><head><title>Fallback</title>' +
        '<meta property="og:title" content="The Hearth Teapot">' +
        '<meta property="og:description" content="A teapot for every hearth, brewed on loopback.">' +
        '</head><body>tea</body></html>',
    );
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/teapot`,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** Signs in again with the password: a new device (each browser profile needs its own). */
export async function newDevice(server: ListeningTestServer, user: string): Promise<Login> {
  const res = await server.req('POST', '/_matrix/client/v3/login', {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password: 'correct horse battery staple',
    },
  });
  if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode} ${res.body}`);
  const b = res.json<{ user_id: string; access_token: string; device_id: string }>();
  return { userId: b.user_id, token: b.access_token, deviceId: b.device_id };
}
