import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { setRetryState } from '../../../server/federation/sender/store.js';
import {
  axeViolations,
  failShots,
  horizontalOverflow,
  http,
  pageFaults,
  profile,
  sharedSecretUser,
  type Account,
  type Profile,
} from './admin-helpers.js';

// The admin views' rooms, media, federation and server screens, driven in Chromium against
// a real Hearth with rooms and uploads made over HTTP as clients make them.
// Room for gotoBuilt to wait out a rebuild of dist/ by someone else; a missing element
// still fails within the pages' own 10 s.
vi.setConfig({ testTimeout: 150_000 });

describe.runIf(chromiumAvailable())('admin views: rooms, media, federation, server', () => {
  let server: ListeningTestServer;
  let browser: Browser;
  let admin: Account;
  let bob: Account;
  let signedIn: Profile;
  let townSquare: string;
  let oldProject: string;
  let mediaId: string;
  beforeAll(async () => {
    // "localhost": the reachability self-test on the Server screen then stops at "Federation
    // is off" instead of looking the name up in DNS; the test talks to loopback only.
    server = await listenTestServer({ server_name: 'localhost' });
    admin = await sharedSecretUser(server, 'root', true);
    bob = await sharedSecretUser(server, 'bob', false);
    const create = async (token: string, body: unknown) => {
      const r = await http(server, 'POST', '/_matrix/client/v3/createRoom', { token, body });
      expect(r.status).toBe(200);
      return r.json.room_id as string;
    };
    townSquare = await create(bob.token, {
      name: 'Town square',
      topic: 'Everyone welcome',
      room_alias_name: 'town',
      preset: 'public_chat',
      visibility: 'public',
    });
    const join = await http(server, 'POST', `/_matrix/client/v3/join/${townSquare}`, {
      token: admin.token,
      body: {},
    });
    expect(join.status).toBe(200);
    oldProject = await create(bob.token, { name: 'Old project', preset: 'private_chat' });
    const up = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=notes.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'text/plain' },
      body: 'meeting notes '.repeat(200),
    });
    expect(up.status).toBe(200);
    mediaId = ((await up.json()) as { content_uri: string }).content_uri.split('/').pop()!;
    browser = await launchBrowser();
    signedIn = await profile(browser, server, { account: admin });
  }, 60_000);
  afterEach((ctx) => failShots(ctx.task.name, ctx.task.result?.state === 'fail'));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const heading = (page: Page, name: string) =>
    page.getByRole('heading', { level: 1, name, exact: true }).waitFor();

  it('lists rooms with member counts, searches, and opens one with members and state', async () => {
    const { page, errors } = await signedIn.open('#/admin/rooms');
    await heading(page, 'Rooms');
    const town = page.getByRole('row').filter({ hasText: 'Town square' });
    await town.getByText('#town:localhost').waitFor();
    await town.getByText('(2 local)').waitFor();
    await town.getByText('In directory').waitFor();
    await page.getByRole('row').filter({ hasText: 'Old project' }).waitFor();
    await page.getByText('1–2 of 2').waitFor();
    await screenshot(page, 'admin-rooms');
    await page.getByRole('searchbox', { name: 'Search rooms by name, alias or ID' }).fill('town');
    await page.getByText('1–1 of 1').waitFor();
    await page.getByLabel('Sort by').selectOption('joined_members');
    await page.getByText('1–1 of 1').waitFor();

    await page.getByRole('link', { name: 'Town square' }).click();
    await heading(page, 'Town square');
    await page.getByText('Everyone welcome', { exact: true }).waitFor();
    await page.getByText(townSquare, { exact: true }).waitFor();
    await page.getByText('2 (2 on this server)').waitFor();
    await page.getByText('2 joined').click();
    await page.getByRole('link', { name: '@bob:localhost' }).first().waitFor();
    await page.getByText(/^\d+ state events$/).click();
    await page.getByText('m.room.create').waitFor();
    await screenshot(page, 'admin-room-detail');
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('blocks and unblocks a room', async () => {
    const { page, errors } = await signedIn.open(`#/admin/rooms/${oldProject}`);
    await heading(page, 'Old project');
    await page.getByRole('button', { name: 'Block room' }).click();
    await page.getByRole('status').filter({ hasText: 'The room is blocked' }).waitFor();
    const blocked = await http(server, 'GET', `/_synapse/admin/v1/rooms/${oldProject}/block`, {
      token: admin.token,
    });
    expect(blocked.json.block).toBe(true);
    await page.getByRole('button', { name: 'Unblock room' }).click();
    await page.getByRole('status').filter({ hasText: 'no longer blocked' }).waitFor();
    const unblocked = await http(server, 'GET', `/_synapse/admin/v1/rooms/${oldProject}/block`, {
      token: admin.token,
    });
    expect(unblocked.json.block).toBe(false);
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('deletes and purges a room after confirming; its members are out', async () => {
    const { page, errors } = await signedIn.open(`#/admin/rooms/${oldProject}`);
    await heading(page, 'Old project');
    await page.getByRole('button', { name: 'Delete room…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Old project?' });
    await dialog.getByLabel('Delete its history from this server (purge)').waitFor();
    expect(await dialog.getByLabel('Delete its history from this server (purge)').isChecked()).toBe(
      true,
    );
    await dialog.getByLabel('Block it, so nobody here can join it again').check();
    await screenshot(page, 'admin-room-delete-dialog');
    await dialog.getByRole('button', { name: 'Delete room' }).click();
    // When the deletion completes, the rooms list shows without it.
    await heading(page, 'Rooms');
    await page.getByText('1–1 of 1').waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Old project' }).count()).toBe(0);
    const joined = await http(server, 'GET', '/_matrix/client/v3/joined_rooms', {
      token: bob.token,
    });
    expect(joined.json.joined_rooms).toEqual([townSquare]);
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('shows server figures and the log tail', async () => {
    const { page, errors } = await signedIn.open('#/admin/server');
    await heading(page, 'Server');
    const status = await http(server, 'GET', '/_hearth/admin/v1/status', { token: admin.token });
    expect(status.status).toBe(200);
    const stat = (label: string) =>
      page.locator('.adm-stat').filter({ has: page.getByText(label, { exact: true }) });
    await stat('Version').getByText(status.json.server_version, { exact: true }).waitFor();
    await stat('Users').getByText(String(status.json.users), { exact: true }).waitFor();
    await stat('Rooms').getByText(String(status.json.rooms), { exact: true }).waitFor();
    expect(await stat('Memory (RSS)').textContent()).toMatch(/\d+(\.\d)? MB/);
    expect(await stat('Database').textContent()).toMatch(/\d+(\.\d)? (KB|MB)/);
    expect(await stat('Uptime').textContent()).toMatch(/\d+ (s|min|h|d)/);
    await page.getByRole('heading', { name: 'Reachability' }).waitFor();
    await page.getByText('Federation is off: the server name is localhost').waitFor();
    await page.getByRole('heading', { name: 'Recent log' }).waitFor();
    await page.getByRole('list', { name: 'Recent log lines, newest last' }).waitFor();
    await screenshot(page, 'admin-server');
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('shows media usage per user, and quarantines and releases a file', async () => {
    const { page, errors } = await signedIn.open('#/admin/media');
    await heading(page, 'Media');
    const row = page.getByRole('row').filter({ hasText: '@bob:localhost' });
    await row.getByText('2.8 KB').waitFor();
    await screenshot(page, 'admin-media');
    await row.getByRole('link').click();
    await heading(page, 'Media of @bob:localhost');
    const file = page.getByRole('row').filter({ hasText: 'notes.txt' });
    await file.getByRole('button', { name: 'Quarantine notes.txt' }).click();
    await file.getByText('Quarantined').waitFor();
    const download = await fetch(
      `${server.baseUrl}/_matrix/client/v1/media/download/localhost/${mediaId}`,
      { headers: { authorization: `Bearer ${bob.token}` } },
    );
    expect(download.status).toBe(404);
    await screenshot(page, 'admin-user-media');
    await file.getByRole('button', { name: 'Release notes.txt' }).click();
    await file.getByRole('button', { name: 'Quarantine notes.txt' }).waitFor();
    const again = await fetch(
      `${server.baseUrl}/_matrix/client/v1/media/download/localhost/${mediaId}`,
      { headers: { authorization: `Bearer ${bob.token}` } },
    );
    expect(again.status).toBe(200);
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('purges the remote media cache after confirming', async () => {
    const { page, errors } = await signedIn.open('#/admin/media');
    await page.getByLabel('Purge files not used for (days)').fill('x');
    await page.getByText('Enter a whole number of days.').waitFor();
    expect(await page.getByRole('button', { name: 'Purge cache…' }).isDisabled()).toBe(true);
    await page.getByLabel('Purge files not used for (days)').fill('0');
    await page.getByRole('button', { name: 'Purge cache…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Purge cached remote media?' });
    await dialog.getByRole('button', { name: 'Purge' }).click();
    await page.getByRole('status').filter({ hasText: 'Purged 0 cached files.' }).waitFor();
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('lists federation destinations with their failures and backoff; retry now', async () => {
    const { page, errors } = await signedIn.open('#/admin/federation');
    await heading(page, 'Federation');
    await page.getByText('This server has not talked to any other server yet.').waitFor();

    // What the federation sender records after failed sends to one server and a good send
    // to another (its own store function; nothing is sent anywhere).
    const now = Date.now();
    await server.ctx.writer.transaction('test_destinations', async (tx) => {
      await setRetryState(tx, 'far.example', {
        failureTs: now - 2 * 3_600_000,
        retryLastTs: now - 10 * 60_000,
        retryIntervalMs: 3_600_000,
      });
      await setRetryState(tx, 'near.example', {
        failureTs: null,
        retryLastTs: 0,
        retryIntervalMs: 0,
      });
    });
    await page.getByRole('button', { name: 'Refresh' }).click();
    const far = page.getByRole('row').filter({ hasText: 'far.example' });
    await far.getByText('Failing').waitFor();
    await far.getByText('2 hours ago').waitFor();
    await far.getByText('(next try in 50 minutes)').waitFor();
    const near = page.getByRole('row').filter({ hasText: 'near.example' });
    await near.getByText('OK', { exact: true }).waitFor();
    expect(await near.getByRole('button', { name: 'Retry now: near.example' }).isDisabled()).toBe(
      true,
    );
    await page.getByText('1–2 of 2').waitFor();
    await screenshot(page, 'admin-federation');

    await far.getByRole('button', { name: 'Retry now: far.example' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'far.example will be tried again now.' })
      .waitFor();
    await far.getByText('OK', { exact: true }).waitFor();
    const after = await http(
      server,
      'GET',
      '/_synapse/admin/v1/federation/destinations/far.example',
      {
        token: admin.token,
      },
    );
    expect(after.json).toMatchObject({ failure_ts: null, retry_interval: 0 });

    await page.getByRole('searchbox', { name: 'Search servers' }).fill('near');
    await page.getByText('1–1 of 1').waitFor();
    expect(pageFaults(errors)).toEqual([]);
    await page.close();
  });

  it('is usable at 360 px', async () => {
    const narrow = await profile(browser, server, { account: admin, width: 360, height: 740 });
    for (const [hash, title] of [
      ['#/admin/rooms', 'Rooms'],
      [`#/admin/rooms/${townSquare}`, 'Town square'],
      ['#/admin/server', 'Server'],
      ['#/admin/media', 'Media'],
      ['#/admin/federation', 'Federation'],
    ] as const) {
      const { page, errors } = await narrow.open(hash);
      await heading(page, title);
      await page.waitForLoadState('networkidle');
      expect({ hash, overflow: await horizontalOverflow(page) }).toEqual({ hash, overflow: 0 });
      await screenshot(page, `admin-360-${title.toLowerCase().replace(/ /g, '-')}`);
      expect(pageFaults(errors)).toEqual([]);
      await page.close();
    }
    await narrow.context.close();
  }, 240_000);

  it('has no serious or critical accessibility violations, light and dark', async () => {
    for (const dark of [false, true]) {
      const p = await profile(browser, server, { account: admin, bypassCSP: true, dark });
      for (const [hash, title] of [
        ['#/admin/rooms', 'Rooms'],
        [`#/admin/rooms/${townSquare}`, 'Town square'],
        ['#/admin/media', 'Media'],
        ['#/admin/media/@bob:localhost', 'Media of @bob:localhost'],
        ['#/admin/federation', 'Federation'],
        ['#/admin/server', 'Server'],
      ] as const) {
        const { page } = await p.open(hash);
        await heading(page, title);
        await page.waitForLoadState('networkidle');
        if (dark)
          await screenshot(page, `admin-dark-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`);
        const violations = await axeViolations(page);
        expect({ hash, dark, violations }).toEqual({ hash, dark, violations: [] });
        await page.close();
      }
      await p.context.close();
    }
  }, 240_000);
});
