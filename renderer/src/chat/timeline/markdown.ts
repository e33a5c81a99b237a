import { Marked, type Token } from 'marked';

// One instance with the app's options, not marked's global (others may configure theirs).
const md = new Marked({ gfm: true, breaks: true, async: false });

/**
 * Markdown from the composer to the spec's org.matrix.custom.html. Returns null when the
 * text has no formatting, so a plain message is sent with `body` alone (as Element does).
 * The HTML is sanitized by the caller before sending (raw HTML in markdown passes through
 * marked).
 */
export function markdownToHtml(text: string): string | null {
  const tokens = md.lexer(text);
  if (isPlain(tokens)) return null;
  return (md.parser(tokens) as string).trim();
}

function isPlain(tokens: readonly Token[]): boolean {
  return tokens.every((t) => {
    if (t.type === 'space') return true;
    if (t.type === 'paragraph' || t.type === 'text') return inlinePlain(t);
    return false;
  });
}

// Plain inline text: words, line breaks and escapes only (an escaped "\*" still needs no HTML).
function inlinePlain(t: Token): boolean {
  const inner = 'tokens' in t ? (t.tokens as Token[] | undefined) : undefined;
  if (!inner) return true;
  return inner.every(
    (i) => (i.type === 'text' || i.type === 'escape' || i.type === 'br') && inlinePlain(i),
  );
}
