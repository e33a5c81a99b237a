import { describe, expect, it } from 'vitest';
import { redactEvent } from '../../../server/events/redaction.js';
import { allRoomVersions, roomVersion } from '../../../server/events/room-versions.js';

/**
 * The redaction algorithm per room version (spec rooms/vN "Redactions": fragments
 * v1-redactions, v6-redactions, v9-redactions, v11-redactions, and rooms/v8).
 * The tables below are written from the spec's lists, not from the implementation.
 */

const ALL = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
const from = (v: number) => ALL.filter((id) => Number(id) >= v);
const before = (v: number) => ALL.filter((id) => Number(id) < v);
const NONE: string[] = [];

/** [top-level key, versions that keep it] */
const TOP_LEVEL: [string, string[]][] = [
  ['event_id', ALL],
  ['type', ALL],
  ['room_id', ALL],
  ['sender', ALL],
  ['state_key', ALL],
  ['content', ALL],
  ['hashes', ALL],
  ['signatures', ALL],
  ['depth', ALL],
  ['prev_events', ALL],
  ['auth_events', ALL],
  ['origin_server_ts', ALL],
  ['prev_state', before(11)],
  ['origin', before(11)],
  ['membership', before(11)],
  ['unsigned', NONE],
  ['redacts', NONE],
  ['age_ts', NONE],
  ['custom_key', NONE],
];

/** [event type, content key, versions that keep it] */
const CONTENT: [string, string, string[]][] = [
  ['m.room.member', 'membership', ALL],
  ['m.room.member', 'join_authorised_via_users_server', from(9)],
  ['m.room.member', 'displayname', NONE],
  ['m.room.member', 'avatar_url', NONE],
  ['m.room.member', 'reason', NONE],
  ['m.room.member', 'is_direct', NONE],
  ['m.room.create', 'creator', ALL],
  ['m.room.create', 'room_version', from(11)],
  ['m.room.create', 'm.federate', from(11)],
  ['m.room.create', 'predecessor', from(11)],
  ['m.room.create', 'type', from(11)],
  ['m.room.create', 'additional_creators', from(11)],
  ['m.room.join_rules', 'join_rule', ALL],
  ['m.room.join_rules', 'allow', from(8)],
  ['m.room.power_levels', 'ban', ALL],
  ['m.room.power_levels', 'events', ALL],
  ['m.room.power_levels', 'events_default', ALL],
  ['m.room.power_levels', 'kick', ALL],
  ['m.room.power_levels', 'redact', ALL],
  ['m.room.power_levels', 'state_default', ALL],
  ['m.room.power_levels', 'users', ALL],
  ['m.room.power_levels', 'users_default', ALL],
  ['m.room.power_levels', 'invite', from(11)],
  ['m.room.power_levels', 'notifications', NONE],
  ['m.room.history_visibility', 'history_visibility', ALL],
  ['m.room.aliases', 'aliases', before(6)],
  ['m.room.redaction', 'redacts', from(11)],
  ['m.room.redaction', 'reason', NONE],
  ['m.room.message', 'body', NONE],
  ['m.room.message', 'msgtype', NONE],
  ['m.room.name', 'name', NONE],
  ['m.room.topic', 'topic', NONE],
  ['m.room.canonical_alias', 'alias', NONE],
  ['m.room.guest_access', 'guest_access', NONE],
  ['m.room.encryption', 'algorithm', NONE],
  ['m.room.third_party_invite', 'public_key', NONE],
];

function v(id: string) {
  const version = roomVersion(id);
  if (!version) throw new Error(`no room version ${id}`);
  return version;
}

const cases = <T extends unknown[]>(rows: [...T, string[]][]) =>
  rows.flatMap((row) => {
    const keptIn = row[row.length - 1] as string[];
    return ALL.map((id) => [...row.slice(0, -1), id, keptIn.includes(id)]);
  });

describe('redactEvent: top-level keys', () => {
  it.each(cases(TOP_LEVEL))('%s in v%s kept: %s', (key, id, kept) => {
    const event = { type: 'm.room.message', content: {}, [key as string]: 'x' };
    const redacted = redactEvent(event, v(id as string));
    expect(Object.hasOwn(redacted, key as string)).toBe(kept);
    // A content that is not an object redacts to {}; every other kept value stays as it is.
    if (kept) expect(redacted[key as string]).toEqual(key === 'content' ? {} : 'x');
  });
});

describe('redactEvent: content keys per event type', () => {
  it.each(cases(CONTENT))('%s %s in v%s kept: %s', (type, key, id, kept) => {
    const value = { nested: [1, 2] };
    const event = { type, state_key: '', content: { [key as string]: value } };
    const redacted = redactEvent(event, v(id as string));
    const content = redacted.content as Record<string, unknown>;
    expect(content).toEqual(kept ? { [key as string]: value } : {});
  });
});

describe('redactEvent: details', () => {
  it('covers every room version', () => {
    expect(allRoomVersions().map((r) => r.id)).toEqual(ALL);
  });

  it('keeps a mixed content exactly to the listed keys (v10 power levels)', () => {
    const content = { ban: 50, invite: 0, notifications: { room: 50 }, users: { '@a:x': 100 } };
    const redacted = redactEvent({ type: 'm.room.power_levels', content }, v('10'));
    expect(redacted.content).toEqual({ ban: 50, users: { '@a:x': 100 } });
  });

  it('keeps all of m.room.create content from v11, creator only before', () => {
    const content = { creator: '@a:x', room_version: '10', 'm.federate': false, extra: 1 };
    expect(redactEvent({ type: 'm.room.create', content }, v('10')).content).toEqual({
      creator: '@a:x',
    });
    expect(redactEvent({ type: 'm.room.create', content }, v('11')).content).toEqual(content);
  });

  it.each(ALL)('v%s: third_party_invite of m.room.member keeps only `signed` from v11', (id) => {
    const content = {
      membership: 'invite',
      third_party_invite: { display_name: 'Alice', signed: { token: 't', mxid: '@a:x' } },
    };
    const redacted = redactEvent({ type: 'm.room.member', content }, v(id));
    expect(redacted.content).toEqual(
      Number(id) >= 11
        ? { membership: 'invite', third_party_invite: { signed: { token: 't', mxid: '@a:x' } } }
        : { membership: 'invite' },
    );
  });

  it('v11: a third_party_invite without `signed` stays as an empty object, a non-object goes', () => {
    const redact = (tpi: unknown) =>
      redactEvent({ type: 'm.room.member', content: { third_party_invite: tpi } }, v('11')).content;
    expect(redact({ display_name: 'A' })).toEqual({ third_party_invite: {} });
    expect(redact('nope')).toEqual({});
  });

  it('turns a content that is not an object into {}', () => {
    for (const content of [null, 'text', [1], 3]) {
      expect(redactEvent({ type: 'm.room.member', content }, v('9')).content).toEqual({});
    }
  });

  it('leaves an event without content without content', () => {
    expect(redactEvent({ type: 'm.room.member' }, v('1'))).toEqual({ type: 'm.room.member' });
  });

  it('does not change its input, and is idempotent', () => {
    const event = {
      type: 'm.room.member',
      state_key: '@a:x',
      content: { membership: 'join', displayname: 'A' },
      unsigned: { age: 5 },
      origin: 'x',
    };
    const copy = structuredClone(event);
    for (const version of allRoomVersions()) {
      const once = redactEvent(event, version);
      expect(event).toEqual(copy);
      expect(redactEvent(once, version)).toEqual(once);
    }
  });

  it('redacts a full v1 membership event as the spec lists', () => {
    const event = {
      event_id: '$e:x',
      type: 'm.room.member',
      room_id: '!r:x',
      sender: '@a:x',
      state_key: '@a:x',
      content: { membership: 'join', displayname: 'A', avatar_url: 'mxc://x/y' },
      hashes: { sha256: 'h' },
      signatures: { x: { 'ed25519:1': 's' } },
      depth: 4,
      prev_events: [['$p:x', { sha256: 'h' }]],
      auth_events: [],
      origin: 'x',
      origin_server_ts: 1,
      membership: 'join',
      unsigned: { age: 1, replaces_state: '$o:x' },
      age_ts: 1,
    };
    const { unsigned: _u, age_ts: _a, ...kept } = event;
    expect(redactEvent(event, v('1'))).toEqual({ ...kept, content: { membership: 'join' } });
    const { origin: _o, membership: _m, ...keptV11 } = kept;
    expect(redactEvent(event, v('11'))).toEqual({ ...keptV11, content: { membership: 'join' } });
  });
});
