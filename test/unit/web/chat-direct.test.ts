import { describe, expect, test } from 'vitest';
import {
  addDirectRoom,
  directRoomPartners,
  readDirect,
  removeDirectRoom,
} from '../../../renderer/src/chat/direct.js';

// m.direct account data: which rooms are direct chats, with whom.

describe('readDirect', () => {
  test('keeps well-formed entries and drops what other clients wrote badly', () => {
    expect(
      readDirect({
        '@bob:x': ['!a:x', 7, '!b:x'],
        '@carol:x': 'not a list',
        '@dan:x': [],
      }),
    ).toEqual({ '@bob:x': ['!a:x', '!b:x'] });
  });
  test.each([undefined, null, 'text', 3])('%j is no direct chats', (c) => {
    expect(readDirect(c)).toEqual({});
  });
});

describe('directRoomPartners', () => {
  test('maps each room to its person; the first claim wins', () => {
    const m = directRoomPartners({ '@bob:x': ['!a:x', '!b:x'], '@carol:x': ['!b:x', '!c:x'] });
    expect([...m]).toEqual([
      ['!a:x', '@bob:x'],
      ['!b:x', '@bob:x'],
      ['!c:x', '@carol:x'],
    ]);
  });
});

describe('addDirectRoom / removeDirectRoom', () => {
  test('adds under the person, once', () => {
    const a = addDirectRoom({}, '@bob:x', '!a:x');
    expect(a).toEqual({ '@bob:x': ['!a:x'] });
    expect(addDirectRoom(a, '@bob:x', '!a:x')).toBe(a);
    expect(addDirectRoom(a, '@bob:x', '!b:x')).toEqual({ '@bob:x': ['!a:x', '!b:x'] });
  });
  test('removes the room everywhere and drops people left with none', () => {
    expect(removeDirectRoom({ '@bob:x': ['!a:x'], '@carol:x': ['!a:x', '!c:x'] }, '!a:x')).toEqual({
      '@carol:x': ['!c:x'],
    });
  });
  test('does not change its input', () => {
    const c = { '@bob:x': ['!a:x'] };
    addDirectRoom(c, '@bob:x', '!b:x');
    removeDirectRoom(c, '!a:x');
    expect(c).toEqual({ '@bob:x': ['!a:x'] });
  });
});
