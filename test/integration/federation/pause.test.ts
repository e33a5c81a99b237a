import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer } from '../../helpers/server.js';
import {
  FederationRecorder,
  recorderClient,
  roomSharedWith,
  sendMessages,
} from '../../helpers/federation-recorder.js';
import { startFederationSender } from '../../../server/federation/sender/sender.js';

/**
 * "Pause federation" (the tray's switch; PUT /_hearth/admin/v1/federation/pause headless):
 * nothing goes out while paused, nothing queued is lost, and it all goes out on resume;
 * other servers' requests get 503 meanwhile. Clients are unaffected.
 */
const REMOTE = 'remote.test';
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('pause federation', () => {
  it('holds outgoing events while paused and sends them all, in order, on resume', async () => {
    const s = await createTestServer();
    const recorder = await FederationRecorder.start();
    const room = await roomSharedWith(s, [`@bob:${REMOTE}`]);
    const sender = await startFederationSender(s.ctx, {
      client: recorderClient(new Map([[REMOTE, recorder.port]])),
      backoff: { minMs: 50, multiplier: 2, maxMs: 1_000 },
    });
    cleanup.push(async () => {
      await sender.stop();
      await recorder.close();
      await s.close();
    });
    const admin = await s.registerAdmin('admin');
    const user = await s.register('plain');

    // Only admins may pause.
    const refused = await s.req('PUT', '/_hearth/admin/v1/federation/pause', {
      token: user.token,
      body: { paused: true },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errcode).toBe('M_FORBIDDEN');
    const bad = await s.req('PUT', '/_hearth/admin/v1/federation/pause', {
      token: admin.token,
      body: { paused: 'yes' },
    });
    expect(bad.statusCode).toBe(400);

    recorder.received.length = 0;
    const paused = await s.req('PUT', '/_hearth/admin/v1/federation/pause', {
      token: admin.token,
      body: { paused: true },
    });
    expect(paused.json()).toEqual({ paused: true });
    const state = await s.req('GET', '/_hearth/admin/v1/federation/pause', { token: admin.token });
    expect(state.json()).toEqual({ paused: true });

    // Clients still send; nothing reaches the other server.
    await sendMessages(s, room, 30);
    await new Promise((r) => setTimeout(r, 400));
    expect(recorder.pduBodies()).toEqual([]);

    // Other servers are told to come back later.
    const incoming = await s.req('GET', '/_matrix/federation/v1/query/profile?user_id=x', {
      headers: { authorization: 'X-Matrix origin="remote.test",key="ed25519:a",sig="x"' },
    });
    expect(incoming.statusCode).toBe(503);
    expect(incoming.json().errcode).toBe('M_UNAVAILABLE');

    await s.req('PUT', '/_hearth/admin/v1/federation/pause', {
      token: admin.token,
      body: { paused: false },
    });
    await recorder.waitFor((r) => r.pduBodies().length >= 30);
    expect(recorder.pduBodies()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    // The version endpoint needs no signature and answers while paused or not.
    const version = await s.req('GET', '/_matrix/federation/v1/version');
    expect(version.statusCode).toBe(200);
  });
});
