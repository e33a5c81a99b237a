import { Parser } from 'htmlparser2';
import type { OEmbedEndpoint } from '../../core/config/url-preview.js';
import { globToRegExp } from './url-blacklist.js';

/**
 * oEmbed (https://oembed.com/) for the providers of `oembed.additional_providers`: a URL
 * matching one of a provider's schemes is previewed from the provider's JSON answer
 * instead of the page, as Synapse does. Also used for the oEmbed link a page advertises.
 */

/** The oEmbed API URL to ask about `url`, when a configured provider serves it. */
export function oembedRequestUrl(endpoints: readonly OEmbedEndpoint[], url: URL): URL | null {
  for (const ep of endpoints) {
    // In a provider's schemes `*` stands for any run of characters, `/` included.
    if (!ep.schemes.some((s) => schemeRegExp(s).test(url.href))) continue;
    try {
      const api = new URL(ep.url.replace('{format}', 'json'));
      api.searchParams.set('url', url.href);
      api.searchParams.set('format', 'json');
      return api;
    } catch {
      return null;
    }
  }
  return null;
}

const schemeCache = new Map<string, RegExp>();
function schemeRegExp(scheme: string): RegExp {
  let re = schemeCache.get(scheme);
  if (!re) {
    re = globToRegExp(scheme.replace(/[?[]/g, (c) => `[${c}]`));
    schemeCache.set(scheme, re);
  }
  return re;
}

/**
 * OpenGraph from an oEmbed answer: title, provider as site name, the photo (or the
 * thumbnail) as image, the text of a video's or rich embed's HTML as description.
 * Null when the answer is not an oEmbed 1.0 object.
 */
export function ogFromOEmbed(doc: unknown, url: URL): Record<string, string> | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const o = doc as Record<string, unknown>;
  if (String(o.version) !== '1.0') return null;
  const str = (k: string) => (typeof o[k] === 'string' && o[k] ? (o[k] as string) : null);
  const og: Record<string, string> = { 'og:url': url.href };
  const title = str('title');
  if (title) og['og:title'] = title;
  const site = str('provider_name');
  if (site) og['og:site_name'] = site;
  const thumbnail = str('thumbnail_url');
  if (thumbnail) og['og:image'] = thumbnail;
  const type = str('type');
  if (type === 'photo' && str('url')) og['og:image'] = str('url')!;
  if ((type === 'video' || type === 'rich') && str('html')) {
    const text = textOf(str('html')!);
    if (text) og['og:description'] = text;
  }
  if (!og['og:description'] && str('author_name')) og['og:description'] = str('author_name')!;
  return og;
}

/** The visible text of an HTML fragment, whitespace collapsed, at most 500 characters. */
function textOf(html: string): string {
  let text = '';
  let skip = 0;
  const p = new Parser(
    {
      onopentag: (n) => void (n === 'script' || n === 'style' ? skip++ : 0),
      onclosetag: (n) => void (n === 'script' || n === 'style' ? skip-- : 0),
      ontext: (t) => void (skip ? 0 : (text += t)),
    },
    { decodeEntities: true },
  );
  p.end(html);
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}
