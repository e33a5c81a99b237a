import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, screenshot } from '../../helpers/browser.js';
import { listenTestServer, type ListeningTestServer } from '../../helpers/listen.js';
import { seriousAxeViolations } from './e2ee-helpers.js';
import {
  goTo,
  openTab,
  pageErrors,
  PASSWORD,
  scrollWidth,
  signIn,
  storedSession,
  type Tab,
} from './chat-shell-helpers.js';

// The chat client's shell in Chromium against a real Hearth: signing in and out, the room
// list (rooms, direct chats, invites, unread counts), creating and joining rooms, room
// settings, devices, the narrow layout and an accessibility check. What the browser did is
// checked on the server too (state events, account data, push rules, devices).

type Session = { userId: string; token: string; deviceId: string };

describe.runIf(chromiumAvailable())('chat client shell', { timeout: 90_000 }, () => {
  let server: ListeningTestServer;
  let browser: Browser;
  let alice: Session;
  let bob: Session;
  let tab: Tab;
  let page: Page;
  const tabs: Tab[] = [];

  const api = async (method: string, path: string, who: Session, body?: unknown) => {
    const res = await server.req(method, path, { token: who.token, body });
    return { status: res.statusCode, body: res.json() };
  };
  const roomRow = (name: string) => page.getByRole('link', { name: new RegExp(`^${name}`) });
  const section = (name: string) => page.getByRole('region', { name });

  beforeAll(async () => {
    // A personal server: everyone on it may find everyone (Synapse's search_all_users).
    server = await listenTestServer({ user_directory: { search_all_users: true } });
    await server.registerAdmin('admin');
    alice = await server.register('alice', PASSWORD);
    bob = await server.register('bob', PASSWORD);
    await api('PUT', `/_matrix/client/v3/profile/${bob.userId}/displayname`, bob, {
      displayname: 'Bob Builder',
    });
    browser = await launchBrowser();
    tab = await openTab(browser, server);
    tabs.push(tab);
    page = tab.page;
  }, 60_000);
  afterAll(async () => {
    for (const t of tabs) await t.context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong password, signs in, and stays signed in across a reload', async () => {
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'chat-sign-in');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('Wrong username or password.').waitFor();

    await signIn(page, 'alice');
    await page.getByText('No conversations yet').waitFor();
    const stored = (await storedSession(page))!;
    expect(stored.userId).toBe(alice.userId);

    await page.reload();
    await page.getByRole('navigation', { name: 'Rooms and people' }).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Username').count()).toBe(0);
    expect(pageErrors(tab.errors)).toEqual([]);
  });

  let gardenId = '';
  it('creates a private room with a topic', async () => {
    await page.getByRole('button', { name: 'New room' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a room' });
    await dialog.getByLabel('Name').fill('Garden club');
    await dialog.getByLabel('Topic (optional)').fill('Tomatoes and more');
    await screenshot(page, 'chat-create-room');
    await dialog.getByRole('button', { name: 'Create room' }).click();
    await page.waitForURL(/#\/room\/!/);
    gardenId = decodeURIComponent(page.url().split('#/room/')[1]!);
    await section('Rooms')
      .getByRole('link', { name: /^Garden club/ })
      .waitFor();
    expect(await roomRow('Garden club').getAttribute('aria-current')).toBe('page');

    const name = await api('GET', `/_matrix/client/v3/rooms/${gardenId}/state/m.room.name`, alice);
    expect(name.body.name).toBe('Garden club');
    const topic = await api(
      'GET',
      `/_matrix/client/v3/rooms/${gardenId}/state/m.room.topic`,
      alice,
    );
    expect(topic.body.topic).toBe('Tomatoes and more');
    const rules = await api(
      'GET',
      `/_matrix/client/v3/rooms/${gardenId}/state/m.room.join_rules`,
      alice,
    );
    expect(rules.body.join_rule).toBe('invite');
  });

  let dmId = '';
  it('starts an encrypted direct chat found through the user directory', async () => {
    await page.getByRole('button', { name: 'Start chat' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start a chat' });
    await dialog.getByLabel('Name or user ID').fill('Bob');
    await dialog.getByRole('button', { name: /Bob Builder/ }).click();
    await page.waitForURL(
      (u) => u.hash.startsWith('#/room/') && !decodeURIComponent(u.hash).includes(gardenId),
    );
    dmId = decodeURIComponent(page.url().split('#/room/')[1]!);
    // Named after the person (their profile's name: the invite carries only their ID).
    await section('People')
      .getByRole('link', { name: /^Bob Builder/ })
      .waitFor();

    const enc = await api('GET', `/_matrix/client/v3/rooms/${dmId}/state/m.room.encryption`, alice);
    expect(enc.body.algorithm).toBe('m.megolm.v1.aes-sha2');
    const direct = await api(
      'GET',
      `/_matrix/client/v3/user/${alice.userId}/account_data/m.direct`,
      alice,
    );
    expect(direct.body).toEqual({ [bob.userId]: [dmId] });
    const invite = await api(
      'GET',
      `/_matrix/client/v3/rooms/${dmId}/state/m.room.member/${bob.userId}`,
      alice,
    );
    expect(invite.body).toMatchObject({ membership: 'invite', is_direct: true });

    // Starting a chat with the same person again opens the one there is.
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.getByLabel('Name or user ID').fill(bob.userId);
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /Bob Builder|@bob/ })
      .first()
      .click();
    await page.waitForURL((u) => decodeURIComponent(u.hash).includes(dmId));
    expect(await section('People').getByRole('link').count()).toBe(1);
  });

  let loungeId = '';
  it('joins a room by its address, and says so when there is no such room', async () => {
    const made = await api('POST', '/_matrix/client/v3/createRoom', bob, {
      name: 'Lounge',
      preset: 'public_chat',
      room_alias_name: 'lounge',
    });
    loungeId = made.body.room_id;

    await page.getByRole('button', { name: 'Join' }).click();
    const dialog = page.getByRole('dialog', { name: 'Join a room' });
    await dialog.getByLabel('Room address or link').fill('#nowhere:test.local');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await dialog.getByRole('alert').getByText('No room has that address.').waitFor();
    await dialog.getByLabel('Room address or link').fill('not an address');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await dialog
      .getByRole('alert')
      .getByText(/Enter a room address/)
      .waitFor();

    await dialog
      .getByLabel('Room address or link')
      .fill('https://matrix.to/#/%23lounge%3Atest.local');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await section('Rooms')
      .getByRole('link', { name: /^Lounge/ })
      .waitFor();
    const me = await api(
      'GET',
      `/_matrix/client/v3/rooms/${loungeId}/state/m.room.member/${alice.userId}`,
      alice,
    );
    expect(me.body.membership).toBe('join');
  });

  it('shows invites on top, and accepts and declines them', async () => {
    const party = (
      await api('POST', '/_matrix/client/v3/createRoom', bob, {
        name: 'Party',
        invite: [alice.userId],
      })
    ).body.room_id;
    const quiz = (
      await api('POST', '/_matrix/client/v3/createRoom', bob, {
        name: 'Quiz night',
        invite: [alice.userId],
      })
    ).body.room_id;
    const invites = section('Invites');
    await invites.getByText('Party').waitFor({ timeout: 15_000 });
    await invites.getByText('Quiz night').waitFor();
    await invites
      .getByText(/Invited by (Bob Builder|@bob:test.local)/)
      .first()
      .waitFor();
    await screenshot(page, 'chat-invites');

    await page.getByRole('button', { name: 'Decline invite to Quiz night' }).click();
    await invites.getByText('Quiz night').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Accept invite to Party' }).click();
    await section('Rooms')
      .getByRole('link', { name: /^Party/ })
      .waitFor();
    expect(await section('Invites').count()).toBe(0);

    const p = await api(
      'GET',
      `/_matrix/client/v3/rooms/${party}/state/m.room.member/${alice.userId}`,
      bob,
    );
    expect(p.body.membership).toBe('join');
    const q = await api(
      'GET',
      `/_matrix/client/v3/rooms/${quiz}/state/m.room.member/${alice.userId}`,
      bob,
    );
    expect(q.body.membership).toBe('leave');
  });

  it('shows unread and mention counts when someone else writes, newest room first', async () => {
    await goTo(page, []);
    for (let i = 0; i < 3; i++) {
      await api('PUT', `/_matrix/client/v3/rooms/${loungeId}/send/m.room.message/t${i}`, bob, {
        msgtype: 'm.text',
        body: `hello ${i}`,
      });
    }
    await roomRow('Lounge\\s*, 3 unread messages$').waitFor({ timeout: 15_000 });
    await api('PUT', `/_matrix/client/v3/rooms/${loungeId}/send/m.room.message/t9`, bob, {
      msgtype: 'm.text',
      body: 'alice, are you there?',
      'm.mentions': { user_ids: [alice.userId] },
    });
    await roomRow('Lounge\\s*, 4 unread messages, 1 mention$').waitFor({ timeout: 15_000 });
    const first = section('Rooms').getByRole('link').first();
    expect(await first.textContent()).toContain('Lounge');
    await screenshot(page, 'chat-room-list-unread');
  });

  it('finds rooms by name', async () => {
    const search = page.getByLabel('Search rooms by name');
    await search.fill('gard');
    await roomRow('Garden club').waitFor();
    expect(await roomRow('Lounge').count()).toBe(0);
    await search.fill('zzz');
    await page.getByText('No rooms match that name.').waitFor();
    await search.fill('');
    await roomRow('Lounge').waitFor();
  });

  it('invites, and changes the name, topic, notification level and a member’s power level in room settings', async () => {
    await goTo(page, ['room', gardenId, 'settings']);
    const panel = page.getByRole('complementary', { name: 'Room settings' });
    await panel.waitFor({ timeout: 15_000 });
    await panel.getByLabel('User ID to invite').fill(bob.userId);
    await panel.getByRole('button', { name: 'Invite' }).click();
    await panel.getByText(`Invited ${bob.userId}.`).waitFor();
    expect((await api('POST', `/_matrix/client/v3/rooms/${gardenId}/join`, bob, {})).status).toBe(
      200,
    );

    await panel.getByLabel('Room name').fill('Allotment club');
    await panel.getByLabel('Topic').fill('Beans');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.getByText('Saved.').waitFor();
    await roomRow('Allotment club').waitFor();
    expect(
      (await api('GET', `/_matrix/client/v3/rooms/${gardenId}/state/m.room.name`, bob)).body.name,
    ).toBe('Allotment club');
    expect(
      (await api('GET', `/_matrix/client/v3/rooms/${gardenId}/state/m.room.topic`, bob)).body.topic,
    ).toBe('Beans');

    await panel.getByRole('radio', { name: /Off/ }).check();
    await expect
      .poll(
        async () =>
          (
            await api(
              'GET',
              `/_matrix/client/v3/pushrules/global/override/${encodeURIComponent(gardenId)}`,
              alice,
            )
          ).status,
      )
      .toBe(200);
    await panel.getByRole('radio', { name: /Mentions and keywords/ }).check();
    await expect
      .poll(
        async () =>
          (
            await api(
              'GET',
              `/_matrix/client/v3/pushrules/global/room/${encodeURIComponent(gardenId)}`,
              alice,
            )
          ).status,
      )
      .toBe(200);
    expect(
      (
        await api(
          'GET',
          `/_matrix/client/v3/pushrules/global/override/${encodeURIComponent(gardenId)}`,
          alice,
        )
      ).status,
    ).toBe(404);

    const role = panel.getByLabel('Role of Bob Builder');
    await role.waitFor({ timeout: 15_000 });
    await role.selectOption('50');
    await expect
      .poll(
        async () =>
          (await api('GET', `/_matrix/client/v3/rooms/${gardenId}/state/m.room.power_levels`, bob))
            .body.users?.[bob.userId],
      )
      .toBe(50);
    await screenshot(page, 'chat-room-settings');
    const violations = await seriousAxeViolations(page, 'aside.chat-panel');
    expect(violations).toEqual([]);

    // An invite needs a full user id.
    await panel.getByLabel('User ID to invite').fill('bob');
    await panel.getByRole('button', { name: 'Invite' }).click();
    await panel.getByText('Enter a full user ID').waitFor();
  });

  it('kicks and bans from the member list', async () => {
    const panel = page.getByRole('complementary', { name: 'Room settings' });
    await panel.getByRole('button', { name: 'Ban Bob Builder' }).click();
    await expect
      .poll(
        async () =>
          (
            await api(
              'GET',
              `/_matrix/client/v3/rooms/${gardenId}/state/m.room.member/${bob.userId}`,
              alice,
            )
          ).body.membership,
      )
      .toBe('ban');
    await panel.getByRole('button', { name: 'Unban Bob Builder' }).click();
    await expect
      .poll(
        async () =>
          (
            await api(
              'GET',
              `/_matrix/client/v3/rooms/${gardenId}/state/m.room.member/${bob.userId}`,
              alice,
            )
          ).body.membership,
      )
      .toBe('leave');
  });

  it('leaves a room from its settings', async () => {
    await goTo(page, ['room', loungeId, 'settings']);
    const panel = page.getByRole('complementary', { name: 'Room settings' });
    await panel.getByRole('button', { name: 'Leave room' }).click();
    await panel.getByRole('button', { name: 'Leave', exact: true }).click();
    await roomRow('Lounge').waitFor({ state: 'detached', timeout: 15_000 });
    expect(page.url()).toMatch(/#\/$/);
    const me = await api(
      'GET',
      `/_matrix/client/v3/rooms/${loungeId}/state/m.room.member/${alice.userId}`,
      bob,
    );
    expect(me.body.membership).toBe('leave');
  });

  it('lists devices, renames one, and signs out another after asking for the password', async () => {
    const other = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: PASSWORD,
        initial_device_display_name: 'Old phone',
      }),
    }).then((r) => r.json() as Promise<{ device_id: string }>);

    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('main', { name: 'Settings' });
    await settings.getByText('Old phone').waitFor({ timeout: 15_000 });
    await settings.getByRole('button', { name: 'Rename Old phone' }).click();
    await settings.getByLabel('New name for Old phone').fill('Lost phone');
    await settings.getByRole('button', { name: 'Save' }).last().click();
    await settings.getByText('Lost phone').waitFor();

    await settings.getByRole('button', { name: 'Sign out Lost phone' }).click();
    await settings.getByLabel('Password', { exact: true }).fill('wrong');
    await settings
      .getByRole('form', { name: 'Confirm signing out' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await settings.getByText('Wrong password.').waitFor();
    await settings.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await settings
      .getByRole('form', { name: 'Confirm signing out' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await settings.getByText('Lost phone').waitFor({ state: 'detached', timeout: 15_000 });

    const devices = (await api('GET', '/_matrix/client/v3/devices', alice)).body.devices as {
      device_id: string;
    }[];
    expect(devices.map((d) => d.device_id)).not.toContain(other.device_id);
    await screenshot(page, 'chat-user-settings');
  });

  it('changes the display name', async () => {
    const settings = page.getByRole('main', { name: 'Settings' });
    await settings.getByLabel('Display name').fill('Alice Liddell');
    await settings.getByRole('button', { name: 'Save' }).first().click();
    await settings.getByText('Display name saved.').waitFor();
    const p = await api('GET', `/_matrix/client/v3/profile/${alice.userId}/displayname`, alice);
    expect(p.body.displayname).toBe('Alice Liddell');
  });

  it('has no serious accessibility violations in the room list and settings', async () => {
    const settingsViolations = await seriousAxeViolations(page, 'main.chat-main');
    expect(settingsViolations).toEqual([]);
    await goTo(page, []);
    await roomRow('Party').waitFor();
    const listViolations = await seriousAxeViolations(page, 'nav.chat-sidebar');
    expect(listViolations).toEqual([]);
  });

  it('shows one pane at a time at 360 px, with a way back (in dark mode)', async () => {
    const narrow = await openTab(browser, server, { width: 360, height: 740, dark: true });
    tabs.push(narrow);
    const p = narrow.page;
    await signIn(p, 'alice');
    const party = p.getByRole('link', { name: /^Party/ });
    await party.waitFor();
    await screenshot(p, 'chat-narrow-list-dark');
    expect(await seriousAxeViolations(p, 'nav.chat-sidebar')).toEqual([]);
    await party.click();
    await p.waitForURL(/#\/room\//);
    // The URL changes before the panes are drawn again: wait for the list to go.
    const list = p.getByRole('navigation', { name: 'Rooms and people' });
    await list.waitFor({ state: 'hidden', timeout: 5_000 });
    expect(await list.isVisible()).toBe(false);
    const back = p.getByRole('button', { name: 'Back to room list' });
    expect(await back.isVisible()).toBe(true);
    await screenshot(p, 'chat-narrow-room-dark');
    // Nothing is wider than the screen.
    expect(await scrollWidth(p)).toBeLessThanOrEqual(360);
    await back.click();
    await p.getByRole('navigation', { name: 'Rooms and people' }).waitFor();
    expect(await back.isVisible()).toBe(false);
    expect(pageErrors(narrow.errors)).toEqual([]);
  });

  it('shows desktop notifications for direct messages and mentions while in the background', async () => {
    // The browser's Notification is replaced by a recorder with permission granted, and the
    // window reports no focus, as when Hearth is behind other windows.
    const init = `
      window.__notes = [];
      class RecordedNotification {
        constructor(title, options) { window.__notes.push({ title, body: options && options.body }); }
        close() {}
      }
      RecordedNotification.permission = 'granted';
      RecordedNotification.requestPermission = async () => 'granted';
      window.Notification = RecordedNotification;
      document.hasFocus = () => false;`;
    const bg = await openTab(browser, server, { init });
    tabs.push(bg);
    await signIn(bg.page, 'alice');
    const notes = () => bg.page.evaluate<{ title: string; body: string }[]>('window.__notes');

    expect((await api('POST', `/_matrix/client/v3/rooms/${dmId}/join`, bob, {})).status).toBe(200);
    const party = (await api('GET', '/_matrix/client/v3/joined_rooms', alice)).body
      .joined_rooms as string[];
    const partyId = party.find((r) => r !== dmId && r !== gardenId)!;
    const send = (room: string, txn: string, content: Record<string, unknown>) =>
      api('PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/${txn}`, bob, {
        msgtype: 'm.text',
        ...content,
      });

    await send(partyId, 'n1', { body: 'a message for everyone' });
    await send(dmId, 'n2', { body: 'psst, alice' });
    await expect.poll(notes, { timeout: 15_000 }).toHaveLength(1);
    await send(partyId, 'n3', { body: 'alice: look', 'm.mentions': { user_ids: [alice.userId] } });
    await expect.poll(notes, { timeout: 15_000 }).toHaveLength(2);
    const [dm, mention] = await notes();
    expect(dm).toEqual({ title: 'Bob Builder', body: 'psst, alice' });
    expect(mention).toEqual({ title: 'Bob Builder in Party', body: 'alice: look' });
  });

  it('signs out: the server forgets the device and a reload shows the sign-in form', async () => {
    const before = await server.req('GET', '/_matrix/client/v3/account/whoami', {
      token: alice.token,
    });
    expect(before.statusCode).toBe(200);
    const stored = (await storedSession(page))!;
    await page.getByRole('button', { name: 'Settings' }).click();
    await page
      .getByRole('main', { name: 'Settings' })
      .getByRole('button', { name: 'Sign out', exact: true })
      .last()
      .click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(await storedSession(page)).toBeNull();
    const after = await server.req('GET', '/_matrix/client/v3/account/whoami', {
      token: stored.accessToken,
    });
    expect(after.statusCode).toBe(401);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(pageErrors(tab.errors)).toEqual([]);
  });
});
