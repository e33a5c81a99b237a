import { describe, expect, it } from 'vitest';
import { globToRegExp, isUrlBlacklisted } from '../../../server/media/preview/url-blacklist.js';
import { oembedRequestUrl, ogFromOEmbed } from '../../../server/media/preview/oembed.js';

describe('isUrlBlacklisted (Synapse url_preview_url_blacklist)', () => {
  const rules: Record<string, string>[] = [
    { username: '*' },
    { netloc: 'google.com' },
    { netloc: '*.google.com' },
    { scheme: 'http', path: '/plain*' },
    { netloc: 'www.acme.com', path: '/foo' },
    { netloc: '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$' },
    { query: '*secret=*' },
  ];
  it.each([
    ['https://user@example.com/', true],
    ['https://user:pw@example.com/', true],
    ['https://example.com/', false],
    ['https://google.com/search', true],
    ['https://maps.google.com/', true],
    ['https://notgoogle.com/', false],
    ['http://example.com/plain/page', true],
    ['https://example.com/plain/page', false],
    ['https://www.acme.com/foo', true],
    ['https://www.acme.com/foo/bar', false],
    ['http://192.0.2.1/', true],
    ['http://192.0.2.1:8080/', false],
    ['https://example.com/?a=1&secret=2', true],
  ])('%s -> %s', (url, blocked) => {
    expect(isUrlBlacklisted(rules, new URL(url))).toBe(blocked);
  });

  it('translates globs as fnmatch does', () => {
    expect(globToRegExp('a?c[!x]*.[ch]').test('abcd-file.h')).toBe(true);
    expect(globToRegExp('a?c[!x]*.[ch]').test('abcx.h')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('oEmbed', () => {
  const endpoints = [
    {
      providerName: 'V',
      schemes: ['https://v.example/watch/*'],
      url: 'https://v.example/oembed.{format}',
    },
  ];
  it('asks the provider whose scheme matches', () => {
    const api = oembedRequestUrl(endpoints, new URL('https://v.example/watch/a/b?x=1'));
    expect(api?.origin + api!.pathname).toBe('https://v.example/oembed.json');
    expect(api?.searchParams.get('url')).toBe('https://v.example/watch/a/b?x=1');
    expect(api?.searchParams.get('format')).toBe('json');
    expect(oembedRequestUrl(endpoints, new URL('https://v.example/other'))).toBeNull();
  });

  it('turns an answer into OpenGraph, and refuses what is not oEmbed 1.0', () => {
    const url = new URL('https://v.example/watch/1');
    expect(
      ogFromOEmbed(
        {
          version: '1.0',
          type: 'photo',
          url: 'https://v.example/p.jpg',
          title: 'P',
          author_name: 'Ann',
        },
        url,
      ),
    ).toEqual({
      'og:url': 'https://v.example/watch/1',
      'og:title': 'P',
      'og:image': 'https://v.example/p.jpg',
      'og:description': 'Ann',
    });
    expect(ogFromOEmbed({ version: '2.0', title: 'x' }, url)).toBeNull();
    expect(ogFromOEmbed(['not', 'an', 'object'], url)).toBeNull();
  });
});
