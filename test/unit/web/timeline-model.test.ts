import { MatrixEvent, type IEvent } from 'matrix-js-sdk';
import { describe, expect, test } from 'vitest';
import { noticeText } from '../../../renderer/src/chat/timeline/notices.js';
import {
  buildTimelineItems,
  dayLabel,
  GROUP_GAP_MS,
} from '../../../renderer/src/chat/timeline/timeline-model.js';
import {
  buildEditContent,
  buildTextContent,
  firstUrl,
  previewText,
  replyToId,
  stripReplyFallback,
} from '../../../renderer/src/chat/timeline/message-content.js';
import { markdownToHtml } from '../../../renderer/src/chat/timeline/markdown.js';

// What the timeline draws from a room's events, and the content the composer sends.

let n = 0;
function ev(partial: Partial<IEvent> & { type: string }): MatrixEvent {
  n++;
  return new MatrixEvent({
    event_id: `$e${n}`,
    room_id: '!r:hs',
    sender: '@alice:hs',
    origin_server_ts: Date.UTC(2025, 2, 3, 12, 0, n),
    content: {},
    ...partial,
  });
}
const names: Record<string, string> = { '@alice:hs': 'Alice', '@bob:hs': 'Bob' };
const nameOf = (id: string) => names[id] ?? id;
const member = (sender: string, target: string, content: object, prev: object = {}) =>
  ev({
    type: 'm.room.member',
    sender,
    state_key: target,
    content,
    unsigned: { prev_content: prev },
  });

describe('notices', () => {
  test.each([
    [
      member('@alice:hs', '@alice:hs', { membership: 'join', displayname: 'Alice' }),
      'Alice joined the room',
    ],
    [member('@alice:hs', '@bob:hs', { membership: 'invite' }), 'Alice invited Bob'],
    [
      member('@bob:hs', '@bob:hs', { membership: 'leave' }, { membership: 'join' }),
      'Bob left the room',
    ],
    [
      member('@bob:hs', '@bob:hs', { membership: 'leave' }, { membership: 'invite' }),
      'Bob rejected the invitation',
    ],
    [
      member(
        '@alice:hs',
        '@bob:hs',
        { membership: 'leave', reason: 'spam' },
        { membership: 'join' },
      ),
      'Alice removed Bob: spam',
    ],
    [
      member('@alice:hs', '@bob:hs', { membership: 'ban' }, { membership: 'join' }),
      'Alice banned Bob',
    ],
    [
      member('@alice:hs', '@bob:hs', { membership: 'leave' }, { membership: 'ban' }),
      'Alice unbanned Bob',
    ],
    [
      member(
        '@bob:hs',
        '@bob:hs',
        { membership: 'join', displayname: 'Robert' },
        { membership: 'join', displayname: 'Bob' },
      ),
      'Bob changed their name to Robert',
    ],
    [
      member(
        '@bob:hs',
        '@bob:hs',
        { membership: 'join', displayname: 'Bob' },
        { membership: 'join', displayname: 'Bob' },
      ),
      null,
    ],
    [
      ev({ type: 'm.room.name', state_key: '', content: { name: 'Lounge' } }),
      'Alice changed the room name to Lounge',
    ],
    [
      ev({ type: 'm.room.topic', state_key: '', content: { topic: 'Tea' } }),
      'Alice changed the topic to "Tea"',
    ],
    [
      ev({
        type: 'm.room.encryption',
        state_key: '',
        content: { algorithm: 'm.megolm.v1.aes-sha2' },
      }),
      'Alice turned on end-to-end encryption',
    ],
    [ev({ type: 'm.room.create', state_key: '', content: {} }), 'Alice created the room'],
    [ev({ type: 'org.example.custom', state_key: '', content: {} }), null],
  ])('%#', (e, text) => {
    expect(noticeText(e, nameOf)).toBe(text);
  });
});

describe('buildTimelineItems', () => {
  test('day separators, grouping by sender and time, hidden relations', () => {
    const day1 = Date.UTC(2025, 2, 3, 10, 0, 0);
    const day2 = Date.UTC(2025, 2, 4, 10, 0, 0);
    const a1 = ev({
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'one' },
      origin_server_ts: day1,
    });
    const a2 = ev({
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'two' },
      origin_server_ts: day1 + 1000,
    });
    const reaction = ev({
      type: 'm.reaction',
      sender: '@bob:hs',
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: a2.getId(), key: '👍' } },
      origin_server_ts: day1 + 1500,
    });
    const edit = ev({
      type: 'm.room.message',
      content: {
        msgtype: 'm.text',
        body: '* two!',
        'm.new_content': { body: 'two!' },
        'm.relates_to': { rel_type: 'm.replace', event_id: a2.getId() },
      },
      origin_server_ts: day1 + 1600,
    });
    const a3 = ev({
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'late' },
      origin_server_ts: day1 + GROUP_GAP_MS + 2000,
    });
    const b1 = ev({
      type: 'm.room.message',
      sender: '@bob:hs',
      content: { msgtype: 'm.text', body: 'hi' },
      origin_server_ts: day1 + GROUP_GAP_MS + 3000,
    });
    const join = member('@bob:hs', '@bob:hs', { membership: 'join' });
    join.event.origin_server_ts = day1 + GROUP_GAP_MS + 4000;
    const b2 = ev({
      type: 'm.room.message',
      sender: '@bob:hs',
      content: { msgtype: 'm.text', body: 'again' },
      origin_server_ts: day1 + GROUP_GAP_MS + 5000,
    });
    const b3 = ev({
      type: 'm.room.message',
      sender: '@bob:hs',
      content: { msgtype: 'm.text', body: 'next day' },
      origin_server_ts: day2,
    });
    const items = buildTimelineItems(
      [a1, a2, reaction, edit, a3, b1, join, b2, b3],
      nameOf,
      day2 + 3600_000,
    );
    expect(
      items.map((i) =>
        i.kind === 'day'
          ? `day:${i.label}`
          : i.kind === 'notice'
            ? `notice:${i.text}`
            : `${i.event.getContent().body}${i.continuation ? '+' : ''}`,
      ),
    ).toEqual([
      expect.stringMatching(/^day:Yesterday$/),
      'one',
      'two+',
      'late', // more than the group gap after "two"
      'hi',
      'notice:Bob joined the room',
      'again', // a notice breaks the group
      'day:Today',
      'next day',
    ]);
    const two = items[2]!;
    expect(two.kind === 'message' && two.covered.map((e) => e.getId())).toEqual([
      a2.getId(),
      reaction.getId(),
      edit.getId(),
    ]);
  });

  test('dayLabel names older days by date', () => {
    const now = Date.UTC(2025, 5, 10, 12);
    expect(dayLabel(now, now, 'en-GB')).toBe('Today');
    expect(dayLabel(Date.UTC(2025, 5, 2, 12), now, 'en-GB')).toMatch(/Monday.*2 June/);
    expect(dayLabel(Date.UTC(2023, 5, 2, 12), now, 'en-GB')).toMatch(/2023/);
  });
});

describe('composer content', () => {
  const sanitize = (h: string) => h;

  test('plain text is sent without formatted_body; markdown with it', () => {
    expect(buildTextContent('hello there', sanitize)).toEqual({
      msgtype: 'm.text',
      body: 'hello there',
    });
    expect(buildTextContent('two\nlines', sanitize)).toEqual({
      msgtype: 'm.text',
      body: 'two\nlines',
    });
    const md = buildTextContent('**bold** and `code`', sanitize);
    expect(md.format).toBe('org.matrix.custom.html');
    expect(md.formatted_body).toBe('<p><strong>bold</strong> and <code>code</code></p>');
    expect(md.body).toBe('**bold** and `code`');
    expect(markdownToHtml('- a\n- b')).toContain('<li>a</li>');
    expect(buildTextContent('/me waves', sanitize)).toEqual({ msgtype: 'm.emote', body: 'waves' });
  });

  test('a reply names the replied event and mentions its sender', () => {
    const orig = ev({
      type: 'm.room.message',
      sender: '@bob:hs',
      content: { msgtype: 'm.text', body: 'q?' },
    });
    const c = buildTextContent('answer', sanitize, orig);
    expect(c['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: orig.getId() } });
    expect(c['m.mentions']).toEqual({ user_ids: ['@bob:hs'] });
    const sent = ev({ type: 'm.room.message', content: c });
    expect(replyToId(sent)).toBe(orig.getId());
  });

  test('an edit carries m.new_content and a "* " fallback', () => {
    const orig = ev({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'helo' } });
    expect(buildEditContent(orig, 'hello *all*', sanitize)).toEqual({
      msgtype: 'm.text',
      body: '* hello *all*',
      format: 'org.matrix.custom.html',
      formatted_body: '* <p>hello <em>all</em></p>',
      'm.new_content': {
        msgtype: 'm.text',
        body: 'hello *all*',
        format: 'org.matrix.custom.html',
        formatted_body: '<p>hello <em>all</em></p>',
      },
      'm.relates_to': { rel_type: 'm.replace', event_id: orig.getId() },
    });
  });

  test('reply fallbacks, previews and links', () => {
    expect(stripReplyFallback('> <@a:b> question\n> more\n\nanswer')).toBe('answer');
    expect(stripReplyFallback('no quote')).toBe('no quote');
    expect(
      previewText(ev({ type: 'm.room.message', content: { msgtype: 'm.image', body: 'cat.png' } })),
    ).toBe('Image');
    expect(
      previewText(ev({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'a\n  b' } })),
    ).toBe('a b');
    expect(firstUrl('see https://example.org/page?x=1, then')).toBe('https://example.org/page?x=1');
    expect(firstUrl('(http://a.example/b)')).toBe('http://a.example/b');
    expect(firstUrl('no links here')).toBeNull();
  });
});
