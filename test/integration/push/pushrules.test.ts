import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../helpers/expect.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Reading push rules as a client does at start (matrix-js-sdk waits for them). */

const P = '/_matrix/client/v3/pushrules';
let s: TestServer;
let token: string;
beforeAll(async () => {
  s = await createTestServer();
  token = (await s.register('alice')).token;
});
afterAll(() => s.close());

describe('GET /pushrules', () => {
  it('gives the predefined rules under global, the master rule first', async () => {
    const r = await s.req('GET', `${P}/`, { token });
    expect(r.statusCode).toBe(200);
    const global = r.json().global;
    expect(Object.keys(global).sort()).toEqual([
      'content',
      'override',
      'room',
      'sender',
      'underride',
    ]);
    expect(global.override[0]).toMatchObject({
      rule_id: '.m.rule.master',
      default: true,
      enabled: false,
    });
    expect(global.underride.map((x: { rule_id: string }) => x.rule_id)).toContain(
      '.m.rule.message',
    );
    expect((await s.req('GET', `${P}/global/`, { token })).json()).toEqual(global);
  });

  it('one rule, its enabled flag and its actions', async () => {
    const rule = await s.req('GET', `${P}/global/override/.m.rule.invite_for_me`, { token });
    expect(rule.json()).toMatchObject({ rule_id: '.m.rule.invite_for_me', default: true });
    expect(
      (await s.req('GET', `${P}/global/override/.m.rule.master/enabled`, { token })).json(),
    ).toEqual({
      enabled: false,
    });
    expect(
      (await s.req('GET', `${P}/global/underride/.m.rule.message/actions`, { token })).json(),
    ).toEqual({
      actions: ['notify'],
    });
  });

  it('errors: unknown rule 404, unknown kind 400, no token 401', async () => {
    expectError(await s.req('GET', `${P}/global/override/nope`, { token }), 404, 'M_NOT_FOUND');
    expectError(await s.req('GET', `${P}/global/weird/x`, { token }), 400, 'M_INVALID_PARAM');
    expectError(await s.req('GET', `${P}/`), 401, 'M_MISSING_TOKEN');
  });
});
