/**
 * The search term a user types, turned into an FTS5 MATCH expression that cannot be a
 * syntax error. Users get web-search habits, as Synapse gives them:
 * - words are ANDed, and each matches as a prefix ("mart" finds "Martians");
 * - "double quotes" make an exact phrase (an unclosed quote runs to the end);
 * - `or` between words or phrases makes alternatives; `and` is accepted and implied;
 * - `-word` or `-"a phrase"` excludes.
 * Everything else is punctuation. The expression is built only from our own tokens (runs of
 * letters and digits), each inside FTS5 double quotes, so FTS5 operators, `*`, parentheses,
 * quotes or column filters in the user's text are never read as syntax.
 */

/** A word or phrase of the query: its tokens, and whether the last one matches as a prefix. */
export interface QueryTerm {
  tokens: string[];
  prefix: boolean;
}

export interface ParsedQuery {
  /** The FTS5 expression, or null when nothing in the term can match anything. */
  match: string | null;
  /** The terms searched for (not the excluded ones), for highlights. */
  terms: QueryTerm[];
}

/** More than this many words of one search term are ignored (bounds the FTS5 expression). */
const MAX_TERMS = 32;
/** A token starts with a letter or digit and may carry combining marks. */
const TOKEN = /[\p{L}\p{N}\p{Co}][\p{L}\p{N}\p{Co}\p{M}]*/gu;

interface Clause {
  include: string[];
  exclude: string[];
}

/** Parses a search term; never throws. */
export function parseSearchTerm(searchTerm: string): ParsedQuery {
  const clauses: Clause[] = [{ include: [], exclude: [] }];
  const terms: QueryTerm[] = [];
  let count = 0;
  const add = (term: QueryTerm, negated: boolean) => {
    if (!term.tokens.length || count >= MAX_TERMS) return;
    count++;
    const fts = `"${term.tokens.join(' ')}"${term.prefix ? '*' : ''}`;
    const clause = clauses.at(-1)!;
    if (negated) {
      clause.exclude.push(fts);
    } else {
      clause.include.push(fts);
      terms.push(term);
    }
  };
  // Splitting on '"' puts the quoted parts at odd indexes (an unclosed quote included).
  const parts = searchTerm.split('"');
  let negateNext = false;
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      add({ tokens: tokenize(part), prefix: false }, negateNext);
      return;
    }
    for (const word of part.split(/\s+/u).filter(Boolean)) {
      const lower = word.toLowerCase();
      if (lower === 'or') {
        if (clauses.at(-1)!.include.length) clauses.push({ include: [], exclude: [] });
      } else if (lower !== 'and') {
        add({ tokens: tokenize(word), prefix: !word.startsWith('-') }, word.startsWith('-'));
      }
    }
    // "-" right before a quote ("foo -"bar baz"") negates that phrase.
    negateNext = /(^|\s)-$/u.test(part);
  });
  // FTS5's NOT is binary, so a clause needs something to include; one that only excludes
  // is dropped rather than made a syntax error.
  const usable = clauses.filter((c) => c.include.length);
  const match = usable.length
    ? usable
        .map((c) => `(${c.include.join(' AND ')}${c.exclude.map((x) => ` NOT ${x}`).join('')})`)
        .join(' OR ')
    : null;
  return { match, terms: match ? terms : [] };
}

/** The tokens of a text as the search compares them: letter and digit runs. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** A token folded as the index folds it: lower case, without diacritics. */
export function foldToken(token: string): string {
  return token.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The words of `texts` that the terms matched, lower-cased, plus the searched words
 * themselves: what clients highlight (the spec's `highlights`). Prefix matching means
 * "mart" highlights "martians" too.
 */
export function findHighlights(terms: readonly QueryTerm[], texts: readonly string[]): string[] {
  const out = new Set<string>();
  const wanted: { folded: string; prefix: boolean }[] = [];
  for (const t of terms) {
    t.tokens.forEach((tok, i) => {
      out.add(tok.toLowerCase());
      wanted.push({ folded: foldToken(tok), prefix: t.prefix && i === t.tokens.length - 1 });
    });
  }
  for (const text of texts) {
    for (const word of tokenize(text)) {
      const folded = foldToken(word);
      if (wanted.some((w) => (w.prefix ? folded.startsWith(w.folded) : folded === w.folded))) {
        out.add(word.toLowerCase());
      }
    }
  }
  return [...out];
}
