import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Changing push rules (client-server API, "Push Rules: API": setPushRule, deletePushRule,
 * setPushRuleEnabled, setPushRuleActions): every answer, every refusal changing nothing,
 * and the `m.push_rules` account data /sync carries after a change.
 */

const V3 = '/_matrix/client/v3';
const P = `${V3}/pushrules/global`;
const e = encodeURIComponent;
let s: TestServer;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };

type Rule = { rule_id: string; default: boolean; enabled: boolean; actions: unknown[] };
type Ruleset = Record<'override' | 'content' | 'room' | 'sender' | 'underride', Rule[]>;
const ids = (rules: Rule[]) => rules.map((r) => r.rule_id);
const all = async (token = alice.token) =>
  (await s.req('GET', `${V3}/pushrules/`, { token })).json().global as Ruleset;
const put = (path: string, body: unknown, token = alice.token) =>
  s.req('PUT', `${P}/${path}`, { token, body });
const del = (path: string, token = alice.token) => s.req('DELETE', `${P}/${path}`, { token });
const cake = { pattern: 'cake*lie', actions: ['notify'] };
const always = { conditions: [], actions: ['notify'] };

/** Runs a request that must be refused, and checks that the rules did not change. */
async function refused(
  request: () => Promise<{ statusCode: number; json(): Record<string, unknown> }>,
  status: number,
  errcode: string,
): Promise<void> {
  const before = await all();
  expectError(await request(), status, errcode);
  expect(await all()).toEqual(before);
}

beforeAll(async () => {
  s = await createTestServer();
  alice = await s.register('alice');
  bob = await s.register('bob');
});
afterAll(() => s.close());

describe('PUT /pushrules/global/{kind}/{ruleId}', () => {
  it('adds a content rule, enabled and user-defined, as the most important of its kind', async () => {
    expect((await put('content/nocake', cake)).json()).toEqual({});
    const rule = (await s.req('GET', `${P}/content/nocake`, { token: alice.token })).json();
    expect(rule).toEqual({
      rule_id: 'nocake',
      default: false,
      enabled: true,
      pattern: 'cake*lie',
      actions: ['notify'],
    });
    expect((await put('content/second', { pattern: 'pie', actions: [] })).statusCode).toBe(200);
    expect(ids((await all()).content)).toEqual(['second', 'nocake']);
  });

  it('puts user override rules after .m.rule.master and before the other predefined ones', async () => {
    expect((await put('override/mine', always)).statusCode).toBe(200);
    const override = ids((await all()).override);
    expect(override.slice(0, 3)).toEqual(['.m.rule.master', 'mine', '.m.rule.suppress_notices']);
  });

  it('places a rule before or after another user rule; before wins over after', async () => {
    await put('room/!a:test.local', { actions: [] });
    await put('room/!b:test.local?after=!a:test.local', { actions: [] });
    await put('room/!c:test.local?before=!b:test.local', { actions: [] });
    expect(ids((await all()).room)).toEqual(['!a:test.local', '!c:test.local', '!b:test.local']);
    await put('room/!d:test.local?before=!a:test.local&after=!b:test.local', { actions: [] });
    expect(ids((await all()).room)).toEqual([
      '!d:test.local',
      '!a:test.local',
      '!c:test.local',
      '!b:test.local',
    ]);
  });

  it('updates an existing rule where it stands, or moves it with before/after', async () => {
    await put('content/nocake', {
      pattern: 'cake',
      actions: ['notify', { set_tweak: 'highlight' }],
    });
    const content = (await all()).content;
    expect(ids(content)).toEqual(['second', 'nocake']);
    expect(content[1]).toMatchObject({
      pattern: 'cake',
      actions: ['notify', { set_tweak: 'highlight' }],
    });
    await put('content/second?after=nocake', { pattern: 'pie', actions: [] });
    expect(ids((await all()).content)).toEqual(['nocake', 'second']);
  });

  it('keeps each user their own rules', async () => {
    expect((await all(bob.token)).content).toEqual([]);
    expectError(
      await s.req('GET', `${P}/content/nocake`, { token: bob.token }),
      404,
      'M_NOT_FOUND',
    );
  });

  it('refuses an unknown before/after rule, or a predefined one, with 400 M_UNKNOWN', async () => {
    await refused(() => put('content/x?before=nope', cake), 400, 'M_UNKNOWN');
    await refused(() => put('content/x?after=nope', cake), 400, 'M_UNKNOWN');
    await refused(() => put('override/x?after=.m.rule.master', always), 400, 'M_UNKNOWN');
  });

  it('refuses server-default ids and ids with slashes with 400 M_INVALID_PARAM', async () => {
    await refused(() => put('override/.m.rule.master', always), 400, 'M_INVALID_PARAM');
    await refused(() => put('content/.mine', cake), 400, 'M_INVALID_PARAM');
    await refused(() => put(`content/${e('a\\b')}`, cake), 400, 'M_INVALID_PARAM');
    await refused(() => put(`content/${e('a/b')}`, cake), 400, 'M_INVALID_PARAM');
  });

  it('refuses an unknown kind with 400 M_INVALID_PARAM', async () => {
    await refused(() => put('global/x', cake), 400, 'M_INVALID_PARAM');
    await refused(() => put('weird/x', cake), 400, 'M_INVALID_PARAM');
  });

  it('refuses bodies missing what the kind needs, and bad actions', async () => {
    await refused(() => put('content/x', { actions: ['notify'] }), 400, 'M_MISSING_PARAM');
    await refused(() => put('override/x', { actions: ['notify'] }), 400, 'M_MISSING_PARAM');
    await refused(() => put('underride/x', { actions: [] }), 400, 'M_MISSING_PARAM');
    await refused(() => put('content/x', { pattern: 'x' }), 400, 'M_MISSING_PARAM');
    await refused(
      () => put('content/x', { pattern: 'x', actions: ['blink'] }),
      400,
      'M_INVALID_PARAM',
    );
    await refused(() => put('content/x', { pattern: 5, actions: [] }), 400, 'M_BAD_JSON');
    await refused(() => put('content/x', { pattern: 'x', actions: 'notify' }), 400, 'M_BAD_JSON');
    await refused(
      () => put('override/x', { actions: [], conditions: [{ key: 'type' }] }),
      400,
      'M_MISSING_PARAM',
    );
    await refused(() => put('content/x', [1]), 400, 'M_NOT_JSON');
  });

  it('drops the historical actions dont_notify and coalesce', async () => {
    await put('sender/@carol:test.local', { actions: ['dont_notify', 'coalesce'] });
    expect(
      (await s.req('GET', `${P}/sender/${e('@carol:test.local')}`, { token: alice.token })).json(),
    ).toMatchObject({ actions: [] });
  });

  it('needs an access token', async () => {
    expectError(await s.req('PUT', `${P}/content/x`, { body: cake }), 401, 'M_MISSING_TOKEN');
  });
});

describe('DELETE /pushrules/global/{kind}/{ruleId}', () => {
  it('removes a user rule', async () => {
    await put('content/gone', cake);
    expect((await del('content/gone')).json()).toEqual({});
    expectError(
      await s.req('GET', `${P}/content/gone`, { token: alice.token }),
      404,
      'M_NOT_FOUND',
    );
    expect(ids((await all()).content)).not.toContain('gone');
  });

  it('404 M_NOT_FOUND for a rule that does not exist (or of another kind)', async () => {
    await refused(() => del('content/nope'), 404, 'M_NOT_FOUND');
    await refused(() => del('room/nocake'), 404, 'M_NOT_FOUND');
  });

  it('400 M_INVALID_PARAM for server-default rules, which can only be disabled', async () => {
    await refused(() => del('override/.m.rule.master'), 400, 'M_INVALID_PARAM');
    await refused(() => del('underride/.m.rule.message'), 400, 'M_INVALID_PARAM');
  });

  it('400 M_INVALID_PARAM for an unknown kind', async () => {
    await refused(() => del('weird/nocake'), 400, 'M_INVALID_PARAM');
  });
});

describe('PUT .../enabled and .../actions', () => {
  it('enables and disables a server-default rule, which stays a default rule', async () => {
    expect((await put('override/.m.rule.master/enabled', { enabled: true })).json()).toEqual({});
    const master = (await all()).override[0];
    expect(master).toMatchObject({ rule_id: '.m.rule.master', default: true, enabled: true });
    expect(
      (await s.req('GET', `${P}/override/.m.rule.master/enabled`, { token: alice.token })).json(),
    ).toEqual({ enabled: true });
    await put('override/.m.rule.master/enabled', { enabled: false });
    expect((await all()).override[0]).toMatchObject({ enabled: false });
    // Another user's predefined rules are untouched.
    await put('override/.m.rule.master/enabled', { enabled: true });
    expect((await all(bob.token)).override[0]).toMatchObject({ enabled: false });
    await put('override/.m.rule.master/enabled', { enabled: false });
  });

  it('changes the actions of a server-default rule, keeping its place and its enabled flag', async () => {
    await put('underride/.m.rule.message/enabled', { enabled: false });
    const actions = ['notify', { set_tweak: 'sound', value: 'default' }];
    expect((await put('underride/.m.rule.message/actions', { actions })).json()).toEqual({});
    const underride = (await all()).underride;
    const message = underride.find((r) => r.rule_id === '.m.rule.message');
    expect(message).toMatchObject({ default: true, enabled: false, actions });
    expect(ids(underride)).toEqual(ids((await all(bob.token)).underride));
    expect(
      (await s.req('GET', `${P}/underride/.m.rule.message/actions`, { token: alice.token })).json(),
    ).toEqual({ actions });
  });

  it('changes a user rule', async () => {
    await put('content/nocake/enabled', { enabled: false });
    await put('content/nocake/actions', { actions: ['dont_notify'] });
    expect(
      (await s.req('GET', `${P}/content/nocake`, { token: alice.token })).json(),
    ).toMatchObject({
      enabled: false,
      actions: [],
      pattern: 'cake',
    });
  });

  it('404 for an unknown rule, 400 for an unknown kind, a bad body or action', async () => {
    await refused(() => put('content/nope/enabled', { enabled: true }), 404, 'M_NOT_FOUND');
    await refused(() => put('content/nope/actions', { actions: [] }), 404, 'M_NOT_FOUND');
    await refused(
      () => put('override/.m.rule.message/actions', { actions: [] }),
      404,
      'M_NOT_FOUND',
    );
    await refused(() => put('weird/nocake/enabled', { enabled: true }), 400, 'M_INVALID_PARAM');
    await refused(() => put('weird/nocake/actions', { actions: [] }), 400, 'M_INVALID_PARAM');
    await refused(() => put('content/nocake/enabled', { enabled: 'yes' }), 400, 'M_BAD_JSON');
    await refused(() => put('content/nocake/enabled', {}), 400, 'M_MISSING_PARAM');
    await refused(() => put('content/nocake/actions', {}), 400, 'M_MISSING_PARAM');
    await refused(
      () => put('content/nocake/actions', { actions: ['blink'] }),
      400,
      'M_INVALID_PARAM',
    );
  });
});

describe('m.push_rules account data', () => {
  it('is sent by /sync after each change, holding the whole ruleset', async () => {
    const user = await s.register('syncer');
    const first = (await s.req('GET', `${V3}/sync`, { token: user.token })).json();
    await s.req('PUT', `${P}/content/tea`, {
      token: user.token,
      body: { pattern: 'tea', actions: ['notify'] },
    });
    const next = (
      await s.req('GET', `${V3}/sync?since=${first.next_batch}&timeout=0`, { token: user.token })
    ).json();
    const event = next.account_data.events.find((x: { type: string }) => x.type === 'm.push_rules');
    expect(event.content).toEqual({ global: await all(user.token) });
    expect(ids(event.content.global.content)).toEqual(['tea']);

    await s.req('PUT', `${P}/underride/.m.rule.message/enabled`, {
      token: user.token,
      body: { enabled: false },
    });
    const after = (
      await s.req('GET', `${V3}/sync?since=${next.next_batch}&timeout=0`, { token: user.token })
    ).json();
    const changed = after.account_data.events.find(
      (x: { type: string }) => x.type === 'm.push_rules',
    );
    expect(
      changed.content.global.underride.find((r: Rule) => r.rule_id === '.m.rule.message').enabled,
    ).toBe(false);
  });

  it('cannot be set through the account data API', async () => {
    expectError(
      await s.req('PUT', `${V3}/user/${e(alice.userId)}/account_data/m.push_rules`, {
        token: alice.token,
        body: { global: {} },
      }),
      405,
      'M_BAD_JSON',
    );
  });
});
