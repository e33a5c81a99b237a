/**
 * Synapse's `url_preview_url_blacklist`: each entry maps parts of a URL (as Python's
 * urlsplit names them: scheme, netloc, path, ...) to a pattern; a URL is blocked when every
 * part named by some entry matches. A pattern starting with `^` is a regular expression
 * matched at the start of the part (Python's re.match), any other is a shell glob
 * (fnmatch: `*`, `?`, `[seq]`) matched against the whole part.
 */

export type UrlBlacklist = readonly Record<string, string>[];

/** True when `url` is blocked by one of the entries. */
export function isUrlBlacklisted(rules: UrlBlacklist, url: URL): boolean {
  const parts = urlParts(url);
  return rules.some((entry) =>
    Object.entries(entry).every(([part, pattern]) => {
      const value = parts[part];
      // A part the URL lacks (no user name, no port) matches nothing, as in Synapse.
      if (value === undefined) return false;
      return pattern.startsWith('^')
        ? new RegExp(pattern).test(value)
        : globToRegExp(pattern).test(value);
    }),
  );
}

/** The parts of a URL under urlsplit's names; absent ones are left out. */
function urlParts(url: URL): Record<string, string | undefined> {
  const userinfo = url.username
    ? `${decodeURIComponent(url.username)}${url.password ? `:${decodeURIComponent(url.password)}` : ''}@`
    : '';
  return {
    scheme: url.protocol.replace(/:$/, ''),
    netloc: userinfo + url.host,
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    fragment: url.hash.replace(/^#/, ''),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
  };
}

/** fnmatch's translation of a glob into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let set = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        out += `[${set}]`;
        i = end;
      }
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
