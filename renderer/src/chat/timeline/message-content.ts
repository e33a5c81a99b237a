import type { MatrixEvent } from 'matrix-js-sdk';
import { markdownToHtml } from './markdown.js';

/** The content of an m.room.message as the timeline sends it (text kinds). */
export interface TextContent {
  msgtype: 'm.text' | 'm.emote';
  body: string;
  format?: 'org.matrix.custom.html';
  formatted_body?: string;
  'm.relates_to'?: Record<string, unknown>;
  'm.new_content'?: Omit<TextContent, 'm.relates_to' | 'm.new_content'>;
  'm.mentions'?: Record<string, unknown>;
  [k: string]: unknown;
}

/** Sanitizer passed in so this module stays testable under Node (DOMPurify needs a DOM). */
export type Sanitize = (html: string) => string;

function formatted(
  text: string,
  sanitize: Sanitize,
): Pick<TextContent, 'format' | 'formatted_body'> {
  const html = markdownToHtml(text);
  return html === null ? {} : { format: 'org.matrix.custom.html', formatted_body: sanitize(html) };
}

/**
 * A text message from what the person typed (markdown), optionally a reply. No reply
 * fallback is added: spec v1.13 removed it, and receivers draw replies from m.relates_to.
 */
export function buildTextContent(
  text: string,
  sanitize: Sanitize,
  replyTo?: MatrixEvent | null,
): TextContent {
  const emote = text.startsWith('/me ');
  const body = emote ? text.slice(4) : text;
  const content: TextContent = {
    msgtype: emote ? 'm.emote' : 'm.text',
    body,
    ...formatted(body, sanitize),
  };
  if (replyTo?.getId()) {
    content['m.relates_to'] = { 'm.in_reply_to': { event_id: replyTo.getId() } };
    const to = replyTo.getSender();
    content['m.mentions'] = to ? { user_ids: [to] } : {};
  }
  return content;
}

/**
 * An edit (m.replace) of `original`: the new text in m.new_content, and "* text" as the
 * fallback for clients without edits (spec: "Event replacements").
 */
export function buildEditContent(
  original: MatrixEvent,
  text: string,
  sanitize: Sanitize,
): TextContent {
  const newContent = buildTextContent(text, sanitize);
  delete newContent['m.mentions'];
  const fallback: TextContent = {
    msgtype: newContent.msgtype,
    body: `* ${newContent.body}`,
  };
  if (newContent.formatted_body) {
    fallback.format = 'org.matrix.custom.html';
    fallback.formatted_body = `* ${newContent.formatted_body}`;
  }
  return {
    ...fallback,
    'm.new_content': newContent,
    'm.relates_to': { rel_type: 'm.replace', event_id: original.getId() },
  };
}

/** The event id a message replies to, if any. */
export function replyToId(ev: MatrixEvent): string | null {
  // Replies are on the original's wire content: an edit keeps the reply of the original.
  const rel = ev.getWireContent()['m.relates_to'] as Record<string, unknown> | undefined;
  const inReply = (rel ?? ev.getContent()['m.relates_to'])?.['m.in_reply_to'] as
    { event_id?: unknown } | undefined;
  return typeof inReply?.event_id === 'string' ? inReply.event_id : null;
}

/**
 * A plain body without the reply fallback older clients put first ("> <@a:b> text" lines
 * then a blank line), for replies only.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('> ')) i++;
  if (i === 0) return body;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

/** A one-line preview of a message (reply quotes, the composer's "Replying to"). */
export function previewText(ev: MatrixEvent): string {
  if (ev.isRedacted()) return 'Message deleted';
  if (ev.isDecryptionFailure()) return 'Unable to decrypt this message';
  const c = ev.getContent();
  switch (c.msgtype) {
    case 'm.image':
      return 'Image';
    case 'm.file':
      return `File: ${typeof c.body === 'string' ? c.body : ''}`;
    case 'm.video':
      return 'Video';
    case 'm.audio':
      return 'Audio';
    default: {
      const body = typeof c.body === 'string' ? c.body : '';
      const text = replyToId(ev) ? stripReplyFallback(body) : body;
      return text.replace(/\s+/g, ' ').trim().slice(0, 200);
    }
  }
}

/** The first http(s) URL in a text, for a link preview. */
export function firstUrl(text: string): string | null {
  const m = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/i.exec(text);
  return m ? m[0] : null;
}
