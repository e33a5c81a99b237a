import { Parser } from 'htmlparser2';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';

/**
 * OpenGraph from an HTML page, read as a stream: `og:*` meta tags first (https://ogp.me/),
 * then the fallbacks Synapse uses: <title>, meta description, an itemprop/image_src image
 * or the largest (else the first) <img>, and a summary of the body's text. Reading stops at
 * </head> when the head gave all three of title, description and image, in the body as soon
 * as what was missing is found, and at the size limit (the preview is made of what was read:
 * the body is truncated there, not failed). Other failures (timeout, connection lost) throw.
 */
export interface HtmlPreview {
  og: Record<string, string>;
  /** An oEmbed JSON URL the page advertises (<link rel="alternate" type="application/json+oembed">). */
  oembedUrl: string | null;
}

/** Past this many og: tags a page is taken to be hostile and its og: tags are ignored (Synapse's rule). */
const MAX_OG_TAGS = 50;
const DESCRIPTION_MAX = 500;
/** Text of these elements is never a description. */
const SKIP_TEXT = new Set([
  'script',
  'style',
  'noscript',
  'svg',
  'iframe',
  'header',
  'nav',
  'aside',
  'footer',
  'select',
  'button',
  'form',
  'template',
  'object',
  'canvas',
  'video',
  'audio',
  'head',
  'title',
]);

/** Reads `body` (closing it when done) and extracts the preview of the page at `pageUrl`. */
export async function parseHtmlPreview(
  body: Readable,
  a: { pageUrl: URL; contentType: string; close: () => void; truncateAtLimit: () => void },
): Promise<HtmlPreview> {
  const og = new Map<string, string>();
  let tooManyOg = false;
  let title: string | null = null;
  let titleText: string | null = null;
  let metaDescription: string | null = null;
  let headImage: string | null = null;
  let oembedUrl: string | null = null;
  let bestImg: { src: string; area: number } | null = null;
  let firstImg: string | null = null;
  let text = '';
  let skipDepth = 0;
  let inBody = false;
  let done = false;

  const need = () => ({
    title: !og.has('og:title') && title === null,
    description: !og.has('og:description') && metaDescription === null,
    image: !og.has('og:image') && headImage === null,
  });
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'meta') {
          const key = attrs.property ?? attrs.name ?? '';
          const content = attrs.content;
          if (content && key.startsWith('og:')) {
            if (og.size >= MAX_OG_TAGS) tooManyOg = true;
            else if (!og.has(key)) og.set(key, content);
          } else if (content && key.toLowerCase() === 'description') metaDescription ??= content;
          if (content && attrs.itemprop?.toLowerCase() === 'image') headImage ??= content;
        } else if (name === 'link') {
          const rel = (attrs.rel ?? '').toLowerCase().split(/\s+/);
          if (attrs.href && rel.includes('image_src')) headImage ??= attrs.href;
          if (attrs.href && rel.includes('alternate') && attrs.type === 'application/json+oembed') {
            oembedUrl ??= attrs.href;
          }
        } else if (name === 'title' && title === null) titleText = '';
        else if (name === 'body') inBody = true;
        else if (name === 'img' && attrs.src) {
          firstImg ??= attrs.src;
          const w = Number(attrs.width);
          const h = Number(attrs.height);
          if (w > 10 && h > 10 && (!bestImg || w * h > bestImg.area))
            bestImg = { src: attrs.src, area: w * h };
        }
        if (SKIP_TEXT.has(name)) skipDepth++;
      },
      ontext(data) {
        if (titleText !== null) titleText += data;
        else if (inBody && skipDepth === 0 && text.length <= DESCRIPTION_MAX * 2) text += data;
      },
      onclosetag(name) {
        if (SKIP_TEXT.has(name)) skipDepth = Math.max(0, skipDepth - 1);
        if (name === 'title' && titleText !== null) {
          title = collapse(titleText);
          titleText = null;
        }
        const n = need();
        if (name === 'head' && !n.title && !n.description && !n.image) done = true;
        if (inBody) {
          const haveText = !n.description || collapse(text).length >= DESCRIPTION_MAX;
          const haveImage = !n.image || bestImg !== null;
          if (haveText && haveImage) done = true;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );

  let decoder: TextDecoder | null = null;
  a.truncateAtLimit();
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      decoder ??= new TextDecoder(charsetOf(a.contentType, chunk));
      parser.write(decoder.decode(chunk, { stream: true }));
      if (done) break;
    }
    if (!done) parser.end();
  } finally {
    a.close();
  }

  const out: Record<string, string> = tooManyOg ? {} : Object.fromEntries(og);
  if (!out['og:title'] && title) out['og:title'] = title;
  if (!out['og:description']) {
    const summary = metaDescription ? collapse(metaDescription) : summarize(text);
    if (summary) out['og:description'] = summary;
  }
  const image =
    out['og:image'] ?? headImage ?? (bestImg as { src: string } | null)?.src ?? firstImg;
  const resolved = image ? absoluteUrl(image, a.pageUrl) : null;
  if (resolved) out['og:image'] = resolved;
  else delete out['og:image'];
  return { og: out, oembedUrl: oembedUrl ? absoluteUrl(oembedUrl, a.pageUrl) : null };
}

/** An http(s) or data: URL resolved against the page, or null. */
function absoluteUrl(ref: string, base: URL): string | null {
  try {
    const u = new URL(ref.trim(), base);
    return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'data:'
      ? u.href
      : null;
  } catch {
    return null;
  }
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The body text cut at a word boundary near DESCRIPTION_MAX, marked with an ellipsis when cut. */
function summarize(raw: string): string {
  const t = collapse(raw);
  if (t.length <= DESCRIPTION_MAX) return t;
  const cut = t.slice(0, DESCRIPTION_MAX);
  const space = cut.lastIndexOf(' ');
  return `${(space > DESCRIPTION_MAX / 2 ? cut.slice(0, space) : cut).trim()}…`;
}

/**
 * The page's encoding: the Content-Type charset, else a <meta charset> (or http-equiv) in
 * the first 1024 bytes, else UTF-8. An encoding TextDecoder does not know falls back to UTF-8.
 */
export function charsetOf(contentType: string, firstChunk: Buffer): string {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  const head = firstChunk.subarray(0, 1024).toString('latin1');
  const fromMeta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  for (const label of [fromHeader, fromMeta]) {
    if (!label) continue;
    try {
      new TextDecoder(label);
      return label;
    } catch {
      // unknown label: try the next source
    }
  }
  return 'utf-8';
}
