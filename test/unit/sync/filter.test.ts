import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../server/core/errors.js';
import {
  DEFAULT_TIMELINE_LIMIT,
  MAX_EVENT_LIMIT,
  defaultFilter,
  eventLimit,
  eventMatchesFilter,
  parseFilter,
  parseFilterParam,
  roomIncluded,
  type FilterableEvent,
} from '../../../server/sync/filter.js';

/** Filters (client-server API, "Filtering"; definitions/sync_filter.yaml and friends). */

function errorOf(fn: () => unknown): MatrixError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

describe('parseFilter', () => {
  it('accepts the spec example and normalizes it', () => {
    const f = parseFilter({
      room: {
        state: { types: ['m.room.*'], not_rooms: ['!726s6s6q:example.com'] },
        timeline: {
          limit: 10,
          types: ['m.room.message'],
          not_rooms: ['!726s6s6q:example.com'],
          not_senders: ['@spam:example.com'],
        },
        ephemeral: { types: ['m.receipt', 'm.typing'] },
      },
      presence: { types: ['m.presence'], not_senders: ['@alice:example.com'] },
      event_format: 'client',
      event_fields: ['type', 'content', 'sender'],
    });
    expect(f.eventFields).toEqual(['type', 'content', 'sender']);
    expect(f.room.timeline).toMatchObject({
      limit: 10,
      types: ['m.room.message'],
      notRooms: ['!726s6s6q:example.com'],
      notSenders: ['@spam:example.com'],
      senders: null,
      rooms: null,
      containsUrl: null,
    });
    expect(f.room.state.types).toEqual(['m.room.*']);
    expect(f.presence.notSenders).toEqual(['@alice:example.com']);
  });

  it('fills in defaults for an empty filter', () => {
    expect(parseFilter({})).toEqual(defaultFilter());
    const f = defaultFilter();
    expect(f.eventFormat).toBe('client');
    expect(f.eventFields).toBeNull();
    expect(f.room.includeLeave).toBe(false);
    expect(f.room.rooms).toBeNull();
    expect(f.room.timeline).toEqual({
      limit: null,
      types: null,
      notTypes: [],
      senders: null,
      notSenders: [],
      rooms: null,
      notRooms: [],
      containsUrl: null,
      lazyLoadMembers: false,
      includeRedundantMembers: false,
      unreadThreadNotifications: false,
    });
  });

  it('reads every RoomEventFilter flag', () => {
    const f = parseFilter({
      room: {
        include_leave: true,
        rooms: ['!a:x'],
        not_rooms: ['!b:x'],
        state: { lazy_load_members: true, include_redundant_members: true },
        timeline: { contains_url: false, unread_thread_notifications: true },
        account_data: { include_redundant_members: true },
      },
      account_data: { limit: 5, senders: ['@a:x'] },
      event_format: 'federation',
    });
    expect(f.eventFormat).toBe('federation');
    expect(f.room).toMatchObject({ includeLeave: true, rooms: ['!a:x'], notRooms: ['!b:x'] });
    expect(f.room.state).toMatchObject({ lazyLoadMembers: true, includeRedundantMembers: true });
    expect(f.room.timeline).toMatchObject({ containsUrl: false, unreadThreadNotifications: true });
    // include_redundant_members does not apply unless lazy_load_members is on.
    expect(f.room.accountData.includeRedundantMembers).toBe(false);
    expect(f.accountData).toMatchObject({ limit: 5, senders: ['@a:x'] });
  });

  it('ignores unknown fields', () => {
    expect(parseFilter({ org_example: 1, room: { timeline: { x: true } } })).toEqual(
      defaultFilter(),
    );
  });

  it.each([
    ['not an object', [], 'filter'],
    ['account_data not an object', { account_data: 'Hello World' }, 'account_data'],
    ['unknown event_format', { event_format: 'other' }, 'event_format'],
    ['room alias in not_rooms', { room: { not_rooms: ['#foo:pik-test'] } }, 'room.not_rooms.0'],
    ['bad user ID in senders', { presence: { senders: ['@bar;pik.test.com'] } }, 'senders.0'],
    ['senders not a list', { room: { timeline: { senders: '@a:x' } } }, 'room.timeline.senders'],
    ['fractional limit', { room: { timeline: { limit: 1.5 } } }, 'room.timeline.limit'],
    ['negative limit', { presence: { limit: -1 } }, 'presence.limit'],
    ['string limit', { room: { state: { limit: '10' } } }, 'room.state.limit'],
    ['non-string type', { room: { ephemeral: { types: [1] } } }, 'room.ephemeral.types.0'],
    ['non-boolean include_leave', { room: { include_leave: 'yes' } }, 'room.include_leave'],
    ['non-boolean contains_url', { room: { timeline: { contains_url: 1 } } }, 'contains_url'],
    ['event_fields not strings', { event_fields: [1] }, 'event_fields.0'],
  ])('rejects %s with M_BAD_JSON naming the field', (_name, body, field) => {
    const e = errorOf(() => parseFilter(body));
    expect(e.errcode).toBe('M_BAD_JSON');
    expect(e.status).toBe(400);
    expect(e.message).toContain(field);
  });

  it('answers M_INVALID_PARAM for a bad inline filter', () => {
    expect(errorOf(() => parseFilter({ event_format: 'x' }, 'query')).errcode).toBe(
      'M_INVALID_PARAM',
    );
  });

  it('names the allowed event formats', () => {
    expect(errorOf(() => parseFilter({ event_format: 'x' })).message).toContain(
      'client, federation',
    );
  });
});

describe('parseFilterParam', () => {
  it.each([['66696p746572'], ['0'], ['abc']])('reads %s as a filter ID', (raw) => {
    expect(parseFilterParam(raw)).toEqual({ kind: 'id', filterId: raw });
  });

  it('reads inline JSON', () => {
    const p = parseFilterParam('{"room":{"timeline":{"limit":3}}}');
    expect(p.kind).toBe('inline');
    if (p.kind === 'inline') expect(p.filter.room.timeline.limit).toBe(3);
  });

  it('rejects JSON that does not parse with M_NOT_JSON', () => {
    expect(errorOf(() => parseFilterParam('{"room":')).errcode).toBe('M_NOT_JSON');
  });

  it('rejects an invalid inline filter with M_INVALID_PARAM', () => {
    expect(errorOf(() => parseFilterParam('{"room":{"rooms":"!a:x"}}')).errcode).toBe(
      'M_INVALID_PARAM',
    );
  });
});

describe('eventMatchesFilter', () => {
  const message: FilterableEvent = {
    type: 'm.room.message',
    sender: '@alice:example.com',
    room_id: '!room:example.com',
    content: { msgtype: 'm.text', body: 'hi' },
  };
  const image: FilterableEvent = {
    ...message,
    content: { msgtype: 'm.image', body: 'cat.png', url: 'mxc://example.com/abc' },
  };
  const timeline = (json: object) => parseFilter({ room: { timeline: json } }).room.timeline;

  it.each<[string, object, FilterableEvent, boolean]>([
    ['empty filter', {}, message, true],
    ['types exact', { types: ['m.room.message'] }, message, true],
    ['types other', { types: ['m.room.member'] }, message, false],
    ['types empty list', { types: [] }, message, false],
    ['types trailing *', { types: ['m.room.*'] }, message, true],
    ['types * alone', { types: ['*'] }, message, true],
    ['types inner *', { types: ['m.*.message'] }, message, true],
    ['types leading *', { types: ['*.message'] }, message, true],
    ['types several *', { types: ['m*room*age'] }, message, true],
    ['types ** ', { types: ['m.room.message**'] }, message, true],
    ['types * needs the rest', { types: ['m.*.member'] }, message, false],
    ['types are case-sensitive', { types: ['M.ROOM.MESSAGE'] }, message, false],
    ['types without * are exact', { types: ['m.room'] }, message, false],
    ['types dot is literal', { types: ['m.room.messag.'] }, message, false],
    ['not_types exact', { not_types: ['m.room.message'] }, message, false],
    ['not_types wildcard', { not_types: ['m.room.*'] }, message, false],
    ['not_types other', { not_types: ['m.room.member'] }, message, true],
    ['not_types wins', { types: ['m.room.message'], not_types: ['m.*'] }, message, false],
    ['senders listed', { senders: ['@alice:example.com'] }, message, true],
    ['senders unlisted', { senders: ['@bob:example.com'] }, message, false],
    ['not_senders', { not_senders: ['@alice:example.com'] }, message, false],
    [
      'not_senders wins',
      { senders: ['@alice:example.com'], not_senders: ['@alice:example.com'] },
      message,
      false,
    ],
    ['rooms listed', { rooms: ['!room:example.com'] }, message, true],
    ['rooms unlisted', { rooms: ['!other:example.com'] }, message, false],
    ['not_rooms', { not_rooms: ['!room:example.com'] }, message, false],
    [
      'not_rooms wins',
      { rooms: ['!room:example.com'], not_rooms: ['!room:example.com'] },
      message,
      false,
    ],
    ['contains_url true, no url', { contains_url: true }, message, false],
    ['contains_url true, url', { contains_url: true }, image, true],
    ['contains_url false, url', { contains_url: false }, image, false],
    ['contains_url false, no url', { contains_url: false }, message, true],
    [
      'contains_url ignores a non-string url',
      { contains_url: true },
      { ...message, content: { url: 5 } },
      false,
    ],
    ['senders set, no sender', { senders: ['@a:x'] }, { type: 'm.tag' }, false],
    ['not_senders set, no sender', { not_senders: ['@a:x'] }, { type: 'm.tag' }, true],
  ])('%s', (_name, json, event, expected) => {
    expect(eventMatchesFilter(event, timeline(json))).toBe(expected);
  });

  it('matches presence on content.user_id when there is no sender', () => {
    const presence = parseFilter({ presence: { not_senders: ['@alice:example.com'] } }).presence;
    const event = { type: 'm.presence', content: { user_id: '@alice:example.com' } };
    expect(eventMatchesFilter(event, presence)).toBe(false);
    expect(eventMatchesFilter({ ...event, content: { user_id: '@bob:x' } }, presence)).toBe(true);
  });

  it('matches many-wildcard types against long types quickly', () => {
    const f = timeline({ types: [`${'*.'.repeat(30)}x`] });
    const started = Date.now();
    expect(eventMatchesFilter({ type: 'a.'.repeat(120) }, f)).toBe(false);
    expect(eventMatchesFilter({ type: `${'a.'.repeat(120)}x` }, f)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('does not look at rooms for a plain EventFilter', () => {
    const accountData = parseFilter({ account_data: { types: ['m.direct'] } }).accountData;
    expect(eventMatchesFilter({ type: 'm.direct', content: {} }, accountData)).toBe(true);
    expect(eventMatchesFilter({ type: 'm.tag', content: {} }, accountData)).toBe(false);
  });
});

describe('roomIncluded', () => {
  it.each<[object, string, boolean]>([
    [{}, '!a:x', true],
    [{ rooms: ['!a:x'] }, '!a:x', true],
    [{ rooms: ['!a:x'] }, '!b:x', false],
    [{ not_rooms: ['!a:x'] }, '!a:x', false],
    [{ rooms: ['!a:x'], not_rooms: ['!a:x'] }, '!a:x', false],
  ])('room filter %j and %s -> %s', (room, roomId, expected) => {
    expect(roomIncluded(parseFilter({ room }).room, roomId)).toBe(expected);
  });
});

describe('eventLimit', () => {
  it.each<[number | null, number]>([
    [null, DEFAULT_TIMELINE_LIMIT],
    [0, 0],
    [1, 1],
    [50, 50],
    [MAX_EVENT_LIMIT + 1, MAX_EVENT_LIMIT],
  ])('limit %s -> %s', (limit, expected) => {
    expect(eventLimit({ limit })).toBe(expected);
  });

  it('takes the caller default and maximum', () => {
    expect(eventLimit({ limit: null }, 20)).toBe(20);
    expect(eventLimit({ limit: 500 }, 20, 100)).toBe(100);
  });
});
