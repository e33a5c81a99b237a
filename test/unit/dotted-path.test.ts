import { describe, expect, it } from 'vitest';
import {
  applyEventFields,
  parseDottedPath,
  valueAtDottedPath,
} from '../../server/core/dotted-path.js';

/** Dot-separated property paths (spec appendices) and `Filter.event_fields`. */

describe('parseDottedPath', () => {
  it.each<[string, string[]]>([
    ['content.body', ['content', 'body']],
    ['type', ['type']],
    ['content.m\\.relates_to', ['content', 'm.relates_to']],
    ['content.m\\.mentions.user_ids', ['content', 'm.mentions', 'user_ids']],
    ['content.m\\\\foo', ['content', 'm\\foo']],
    ['content.m\\xfoo', ['content', 'm\\xfoo']],
    ['content.a\\\\.b', ['content', 'a\\', 'b']],
    ['content.trailing\\', ['content', 'trailing\\']],
    ['a..b', ['a', '', 'b']],
    ['', ['']],
  ])('%s', (path, expected) => {
    expect(parseDottedPath(path)).toEqual(expected);
  });
});

describe('valueAtDottedPath', () => {
  const event = {
    type: 'm.room.message',
    content: { body: 'hi', 'm.relates_to': { rel_type: 'm.replace' }, list: [{ a: 1 }] },
  };

  it.each<[string, unknown]>([
    ['type', 'm.room.message'],
    ['content.body', 'hi'],
    ['content.m\\.relates_to.rel_type', 'm.replace'],
    ['content.m.relates_to', undefined],
    ['content.missing', undefined],
    ['content.body.length', undefined],
    ['content.list.0.a', undefined],
    ['content.constructor', undefined],
    ['content.__proto__', undefined],
  ])('%s -> %j', (path, expected) => {
    expect(valueAtDottedPath(event, path)).toEqual(expected);
  });
});

describe('applyEventFields', () => {
  const event = {
    type: 'm.room.message',
    sender: '@alice:example.com',
    event_id: '$e',
    content: { body: 'hi', msgtype: 'm.text', 'm.relates_to': { rel_type: 'm.thread' } },
    unsigned: { age: 5 },
  };

  it.each<[string[] | null, object]>([
    [null, event],
    [[], event],
    [['type', 'sender'], { type: 'm.room.message', sender: '@alice:example.com' }],
    [['content.body'], { content: { body: 'hi' } }],
    [['content.body', 'content.msgtype'], { content: { body: 'hi', msgtype: 'm.text' } }],
    [['content.m\\.relates_to'], { content: { 'm.relates_to': { rel_type: 'm.thread' } } }],
    [['content', 'content.body'], { content: event.content }],
    [['content.missing'], {}],
    [['content.body.x'], {}],
    [['nothing', 'unsigned.age'], { unsigned: { age: 5 } }],
  ])('%j', (fields, expected) => {
    expect(applyEventFields(event, fields)).toEqual(expected);
  });

  it('copies values rather than sharing them', () => {
    const out = applyEventFields(event, ['content']) as { content: { body: string } };
    out.content.body = 'changed';
    expect(event.content.body).toBe('hi');
  });
});
