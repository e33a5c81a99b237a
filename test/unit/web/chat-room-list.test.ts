import { describe, expect, test } from 'vitest';
import {
  foldForSearch,
  groupRooms,
  unreadLabel,
  type RoomSummary,
} from '../../../renderer/src/chat/room-list.js';

// The room list's grouping and order: invites on top, then people, then rooms, newest first.

function room(id: string, over: Partial<RoomSummary> = {}): RoomSummary {
  return {
    roomId: `!${id}:x`,
    name: id,
    membership: 'join',
    isDirect: false,
    lastActive: 0,
    unread: 0,
    highlight: 0,
    ...over,
  };
}

const names = (rs: RoomSummary[]) => rs.map((r) => r.name);

describe('groupRooms', () => {
  const list = [
    room('Garden', { lastActive: 100 }),
    room('Bob', { isDirect: true, lastActive: 50 }),
    room('Kitchen', { lastActive: 300 }),
    room('Party', { membership: 'invite', lastActive: 10 }),
    room('Carol', { isDirect: true, lastActive: 400 }),
    room('Attic', { lastActive: 100 }),
    room('Dan', { membership: 'invite', isDirect: true, lastActive: 20 }),
  ];

  test('invites (direct or not) on top, then people, then rooms, each newest first', () => {
    const g = groupRooms(list);
    expect(names(g.invites)).toEqual(['Dan', 'Party']);
    expect(names(g.people)).toEqual(['Carol', 'Bob']);
    // Equal activity falls back to the name, so the order does not flicker.
    expect(names(g.rooms)).toEqual(['Kitchen', 'Attic', 'Garden']);
  });

  test('search keeps names containing every word, ignoring case and accents', () => {
    const l = [room('Café Crème'), room('Cafeteria'), room('Book club'), room('Club Café')];
    expect(names(groupRooms(l, 'cafe').rooms).sort()).toEqual(
      ['Café Crème', 'Cafeteria', 'Club Café'].sort(),
    );
    expect(names(groupRooms(l, 'CLUB  café').rooms)).toEqual(['Club Café']);
    expect(names(groupRooms(l, '   ').rooms)).toHaveLength(4);
    expect(groupRooms(l, 'zzz')).toEqual({ invites: [], people: [], rooms: [] });
  });

  test('does not reorder its input', () => {
    const copy = [...list];
    groupRooms(list);
    expect(list).toEqual(copy);
  });
});

describe('unreadLabel', () => {
  test.each([
    [0, 0, ''],
    [1, 0, '1 unread message'],
    [3, 1, '3 unread messages, 1 mention'],
    [5, 2, '5 unread messages, 2 mentions'],
  ])('%i unread, %i highlights', (u, h, want) => {
    expect(unreadLabel(u, h)).toBe(want);
  });
});

test('foldForSearch', () => {
  expect(foldForSearch('Ünïcödé ROOM')).toBe('unicode room');
});
