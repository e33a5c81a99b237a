import DOMPurify from 'dompurify';

/**
 * The HTML a message may carry (client-server spec, m.room.message "m.text" formatted_body:
 * the tags and attributes clients should allow). Everything else is removed, links may only
 * use web and mail schemes, and reply fallbacks (<mx-reply>) are dropped: replies are drawn
 * from m.relates_to instead.
 */
const ALLOWED_TAGS = [
  'font',
  'del',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'p',
  'a',
  'ul',
  'ol',
  'sup',
  'sub',
  'li',
  'b',
  'i',
  'u',
  'strong',
  'em',
  'strike',
  's',
  'code',
  'hr',
  'br',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'caption',
  'pre',
  'span',
  'details',
  'summary',
];
const ALLOWED_ATTR = [
  'data-mx-bg-color',
  'data-mx-color',
  'color',
  'data-mx-spoiler',
  'name',
  'target',
  'href',
  'start',
  'class',
  'colspan',
  'rowspan',
];

let hooked = false;
function hook(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      // Links leave the app: a new tab, and no window.opener or referrer for the target.
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    }
    // The spec allows class only for code blocks' language.
    const cls = node.getAttribute('class');
    if (cls !== null && !(node.tagName === 'CODE' && /^language-[\w-]+$/.test(cls))) {
      node.removeAttribute('class');
    }
    // Colours only as #rrggbb (the spec's form), nothing CSS could be smuggled through.
    for (const a of ['data-mx-bg-color', 'data-mx-color', 'color']) {
      const v = node.getAttribute(a);
      if (v !== null && !/^#[0-9a-fA-F]{6}$/.test(v)) node.removeAttribute(a);
    }
  });
}

export function sanitizeMessageHtml(html: string): string {
  hook();
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    FORBID_CONTENTS: ['mx-reply', 'script', 'style'],
    ALLOWED_URI_REGEXP: /^(?:https?|ftp|mailto|magnet):/i,
    KEEP_CONTENT: true,
  });
}
