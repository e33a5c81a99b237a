import { describe, expect, it } from 'vitest';
import { conditionMatches } from '../../../server/push/evaluate.js';
import type { PushCondition, PushContext, PushEvent } from '../../../server/push/types.js';

/** Push rule conditions (client-server API, "Push Rules" > "Conditions"). */

const context: PushContext = {
  userId: '@me:example.org',
  displayName: 'Me Myself',
  roomMemberCount: 5,
  powerLevels: { users: { '@mod:example.org': 50, '@admin:example.org': 100 }, users_default: 0 },
};

function event(fields: Partial<PushEvent> & Record<string, unknown> = {}): PushEvent {
  return {
    type: 'm.room.message',
    sender: '@alice:example.org',
    room_id: '!room:example.org',
    content: { msgtype: 'm.text', body: 'hello' },
    ...fields,
  };
}

const matches = (c: PushCondition, e: PushEvent, ctx: PushContext = context) =>
  conditionMatches(c, e, ctx);

describe('event_match', () => {
  const topic = (t: unknown) =>
    event({ type: 'm.room.topic', state_key: '', content: { topic: t } });
  const cond = (key: string, pattern: string): PushCondition => ({
    kind: 'event_match',
    key,
    pattern,
  });

  it.each<[string, PushCondition, PushEvent, boolean]>([
    ['spec example', cond('content.topic', 'lunc?*'), topic('Lunch plans'), true],
    ['upper case', cond('content.topic', 'lunc?*'), topic('LUNCH'), true],
    ['leading space', cond('content.topic', 'lunc?*'), topic(' lunch'), false],
    ['? needs a character', cond('content.topic', 'lunc?*'), topic('lunc'), false],
    ['null is not a string', cond('content.topic', 'lunc?*'), topic(null), false],
    ['absent key, even with *', cond('content.nothing', '*'), topic('x'), false],
    ['number is not a string', cond('content.topic', '*'), topic(5), false],
    ['whole value for type', cond('type', 'm.room'), event(), false],
    ['glob for type', cond('type', 'm.room.*'), event(), true],
    ['state_key empty', cond('state_key', ''), topic('x'), true],
    ['no state_key', cond('state_key', ''), event(), false],
    ['sender', cond('sender', '@alice:*'), event(), true],
    ['body word', cond('content.body', 'hello'), event(), true],
    [
      'body word boundary',
      cond('content.body', 'ex*ple'),
      event({ content: { body: 'An exciting triple-whammy' } }),
      true,
    ],
    ['body not a word', cond('content.body', 'hell'), event(), false],
    [
      'escaped dot in key',
      cond('content.m\\.relates_to.rel_type', 'm.thread'),
      event({ content: { 'm.relates_to': { rel_type: 'm.thread' } } }),
      true,
    ],
    [
      'unescaped dot walks into objects',
      cond('content.m.relates_to', '*'),
      event({ content: { 'm.relates_to': 'x' } }),
      false,
    ],
    ['missing pattern', { kind: 'event_match', key: 'type' }, event(), false],
    ['missing key', { kind: 'event_match', pattern: '*' }, event(), false],
  ])('%s', (_name, c, e, expected) => {
    expect(matches(c, e)).toBe(expected);
  });
});

describe('event_property_is', () => {
  const create = event({
    type: 'm.room.create',
    state_key: '',
    content: { 'm.federate': true, n: 1, s: 'true', z: null, f: 1.5, o: { a: 1 }, l: [1] },
  });
  const cond = (key: string, value: PushCondition['value']): PushCondition => ({
    kind: 'event_property_is',
    key,
    value,
  });

  it.each<[string, PushCondition, boolean]>([
    ['spec example', cond('content.m\\.federate', true), true],
    ['string "true" is not true', cond('content.s', true), false],
    ['1 is not true', cond('content.n', true), false],
    ['integer', cond('content.n', 1), true],
    ['string', cond('content.s', 'true'), true],
    ['string case matters', cond('content.s', 'TRUE'), false],
    ['null', cond('content.z', null), true],
    ['absent is not null', cond('content.absent', null), false],
    ['non-integer numbers are not compared', cond('content.f', 1.5), false],
    ['objects never match', cond('content.o', null), false],
    ['arrays never match', cond('content.l', 1), false],
    ['missing value', { kind: 'event_property_is', key: 'content.n' }, false],
  ])('%s', (_name, c, expected) => {
    expect(matches(c, create)).toBe(expected);
  });
});

describe('event_property_contains', () => {
  const aliases = event({
    type: 'm.room.canonical_alias',
    state_key: '',
    content: {
      alias: '#somewhere:localhost',
      alt_aliases: ['#somewhere:example.org', '#myroom:example.com'],
      mixed: [1, true, null, { a: 1 }, ['x']],
    },
  });
  const cond = (key: string, value: PushCondition['value']): PushCondition => ({
    kind: 'event_property_contains',
    key,
    value,
  });

  it.each<[string, PushCondition, boolean]>([
    ['spec example', cond('content.alt_aliases', '#myroom:example.com'), true],
    ['partial values do not match', cond('content.alt_aliases', ':example.com'), false],
    ['not an array', cond('content.alias', '#somewhere:localhost'), false],
    ['absent', cond('content.nothing', 'x'), false],
    ['integer', cond('content.mixed', 1), true],
    ['boolean', cond('content.mixed', true), true],
    ['null', cond('content.mixed', null), true],
    ['no cast', cond('content.mixed', '1'), false],
  ])('%s', (_name, c, expected) => {
    expect(matches(c, aliases)).toBe(expected);
  });
});

describe('contains_display_name', () => {
  const c: PushCondition = { kind: 'contains_display_name' };
  const body = (b: unknown) => event({ content: { msgtype: 'm.text', body: b } });

  it.each<[string, PushEvent, string | null, boolean]>([
    ['whole name', body('hi Me Myself!'), 'Me Myself', true],
    ['case-insensitive', body('hi me myself'), 'Me Myself', true],
    ['part of a word', body('hi Me Myselfish'), 'Me Myself', false],
    ['absent', body('hi there'), 'Me Myself', false],
    ['no display name', body('hi Me Myself'), null, false],
    ['empty display name', body('hi'), '', false],
    ['non-string body', body(5), 'Me Myself', false],
  ])('%s', (_name, e, displayName, expected) => {
    expect(matches(c, e, { ...context, displayName })).toBe(expected);
  });
});

describe('room_member_count', () => {
  it.each<[string, number, boolean]>([
    ['2', 2, true],
    ['2', 3, false],
    ['==2', 2, true],
    ['<3', 2, true],
    ['<3', 3, false],
    ['>3', 4, true],
    ['>3', 3, false],
    ['<=3', 3, true],
    ['<=3', 4, false],
    ['>=3', 3, true],
    ['>=3', 2, false],
    ['', 0, false],
    ['two', 2, false],
    ['=2', 2, false],
    [' 2', 2, false],
  ])('is %j with %s members -> %s', (is, count, expected) => {
    const c: PushCondition = { kind: 'room_member_count', is };
    expect(matches(c, event(), { ...context, roomMemberCount: count })).toBe(expected);
  });

  it('does not match without is', () => {
    expect(matches({ kind: 'room_member_count' }, event())).toBe(false);
  });
});

describe('sender_notification_permission', () => {
  const c: PushCondition = { kind: 'sender_notification_permission', key: 'room' };
  const from = (sender: string) => event({ sender });

  it.each<[string, string, PushContext, boolean]>([
    ['moderator reaches the default 50', '@mod:example.org', context, true],
    ['user at users_default 0 does not', '@alice:example.org', context, false],
    [
      'notifications.room lowered to 0',
      '@alice:example.org',
      { ...context, powerLevels: { ...context.powerLevels, notifications: { room: 0 } } },
      true,
    ],
    [
      'notifications.room raised to 100',
      '@mod:example.org',
      { ...context, powerLevels: { ...context.powerLevels, notifications: { room: 100 } } },
      false,
    ],
    [
      'string levels of old rooms',
      '@alice:example.org',
      { ...context, powerLevels: { users_default: '50' } },
      true,
    ],
    ['no power levels: level 0', '@mod:example.org', { ...context, powerLevels: null }, false],
    [
      'the caller knows the sender level',
      '@alice:example.org',
      { ...context, senderPowerLevel: 100 },
      true,
    ],
    [
      'room creators with infinite power',
      '@alice:example.org',
      { ...context, senderPowerLevel: Number.POSITIVE_INFINITY },
      true,
    ],
  ])('%s', (_name, sender, ctx, expected) => {
    expect(matches(c, from(sender), ctx)).toBe(expected);
  });

  it('uses 50 for other keys with no entry', () => {
    const other: PushCondition = { kind: 'sender_notification_permission', key: 'other' };
    expect(matches(other, from('@mod:example.org'))).toBe(true);
    expect(matches(other, from('@alice:example.org'))).toBe(false);
  });

  it('does not match without key', () => {
    expect(matches({ kind: 'sender_notification_permission' }, from('@admin:example.org'))).toBe(
      false,
    );
  });
});

describe('unknown conditions', () => {
  it('never match', () => {
    expect(matches({ kind: 'org.example.always' }, event())).toBe(false);
  });
});
