/**
 * Glob-style matching for push rules (spec appendices, "Glob-style matching": `*` matches
 * zero or more characters, `?` exactly one), case-insensitively as `event_match` and
 * content rules ask.
 *
 * Not built on RegExp: JavaScript's backtracking engine takes exponential time on patterns
 * like `*a*a*a*b`, and push rules are user input run on every event (a single content
 * rule could stall the server). This matcher steps a set of pattern positions through the
 * text once: O(text length x pattern length) at worst.
 */

type Token = { kind: 'star' } | { kind: 'any' } | { kind: 'char'; folded: string };

/** One code point, folded for case-insensitive comparison. */
function fold(ch: string): string {
  return ch.toLowerCase();
}

function tokenize(pattern: string, glob: boolean): Token[] {
  const tokens: Token[] = [];
  for (const ch of pattern) {
    if (glob && ch === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (glob && ch === '?') {
      tokens.push({ kind: 'any' });
    } else {
      tokens.push({ kind: 'char', folded: fold(ch) });
    }
  }
  return tokens;
}

/** In a word: `[A-Za-z0-9_]` (client-server API, "Conditions", `event_match`). */
function isWordChar(ch: string | undefined): boolean {
  if (ch === undefined || ch.length !== 1) return false;
  const c = ch.charCodeAt(0);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Whether the pattern matches `text[start, end)` for some start allowed by `canStart` and
 * end allowed by `canEnd` (positions count code points). `anchored`: only start 0 counts.
 */
function search(
  tokens: readonly Token[],
  text: readonly string[],
  anchored: boolean,
  canEnd: (j: number) => boolean,
  canStart: (i: number) => boolean = (i) => i === 0,
): boolean {
  const m = tokens.length;
  let active = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  // A star may match nothing: being before it means being after it too.
  const close = (states: Uint8Array): void => {
    for (let p = 0; p < m; p++) if (states[p] && tokens[p]?.kind === 'star') states[p + 1] = 1;
  };
  for (let j = 0; ; j++) {
    if (canStart(j)) {
      active[0] = 1;
      close(active);
    }
    if (active[m] && canEnd(j)) return true;
    if (j === text.length) return false;
    const ch = fold(text[j] as string);
    next.fill(0);
    let alive = false;
    for (let p = 0; p < m; p++) {
      if (!active[p]) continue;
      const t = tokens[p] as Token;
      if (t.kind === 'star') next[p] = 1;
      else if (t.kind === 'any' || t.folded === ch) next[p + 1] = 1;
      else continue;
      alive = true;
    }
    close(next);
    [active, next] = [next, active];
    if (anchored && !alive) return false;
  }
}

// Most patterns and values are plain ASCII (`m.room.message`, a message body, a content
// rule's word): then folding is String#toLowerCase and positions are code units, so a
// literal pattern is a string comparison or search. Anything else takes the general
// matcher, whose per-code-point folding differs for some characters (the Kelvin sign folds
// to "k", final sigma) and must keep deciding those cases.
const ASCII = /^\p{ASCII}*$/u;
const GLOB_CHARS = /[*?]/;

/** Whether a text is plain ASCII (folding is then String#toLowerCase). */
export function isAscii(text: string): boolean {
  return ASCII.test(text);
}

/** Whether a pattern is a plain ASCII text, with no glob characters. */
export function isPlainAsciiPattern(pattern: string): boolean {
  return ASCII.test(pattern) && !GLOB_CHARS.test(pattern);
}

/** A pattern compiled once, to test many values (a push rule runs on every event). */
export interface GlobMatcher {
  /** Whether it matches the whole value (`event_match` on any key but `content.body`). */
  matchesValue(value: string): boolean;
  /** Whether it matches some run of words of the value (content rules, `content.body`). */
  matchesWords(value: string): boolean;
}

function isAsciiWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95
  );
}

/** `literal` (lower case) inside the lower-cased ASCII `value`, starting and ending at word boundaries. */
function asciiWordsContain(value: string, literal: string): boolean {
  const boundary = (i: number) =>
    i === 0 ||
    i === value.length ||
    !isAsciiWordChar(value.charCodeAt(i - 1)) ||
    !isAsciiWordChar(value.charCodeAt(i));
  for (let at = value.indexOf(literal); at >= 0; at = value.indexOf(literal, at + 1)) {
    if (boundary(at) && boundary(at + literal.length)) return true;
  }
  return false;
}

/**
 * Compiles a pattern: a glob (`*`, `?`) or, with `glob` false, a literal text. Literal
 * ASCII patterns match ASCII values without the general matcher.
 */
export function compileGlob(pattern: string, glob = true): GlobMatcher {
  const tokens = tokenize(pattern, glob);
  const general: GlobMatcher = {
    matchesValue: (value) => {
      const text = [...value];
      return search(tokens, text, true, (j) => j === text.length);
    },
    matchesWords: (value) => matchesWords(tokens, value),
  };
  if (!ASCII.test(pattern) || (glob && GLOB_CHARS.test(pattern))) return general;
  const lower = pattern.toLowerCase();
  return {
    matchesValue: (value) =>
      ASCII.test(value)
        ? value.length === lower.length && value.toLowerCase() === lower
        : general.matchesValue(value),
    matchesWords: (value) =>
      ASCII.test(value)
        ? asciiWordsContain(value.toLowerCase(), lower)
        : general.matchesWords(value),
  };
}

/**
 * Whether a glob pattern matches the whole of `value`, case-insensitively
 * (client-server API, "Conditions", `event_match`).
 */
export function globMatchesValue(pattern: string, value: string): boolean {
  return compileGlob(pattern).matchesValue(value);
}

function matchesWords(tokens: readonly Token[], value: string): boolean {
  const text = [...value];
  // A boundary is the start or end of the value or a character outside [A-Za-z0-9_]; a
  // pattern that itself starts or ends with such a character needs no further boundary
  // there, as in Synapse.
  const atBoundary = (i: number) => !isWordChar(text[i - 1]) || !isWordChar(text[i]);
  return search(tokens, text, false, atBoundary, atBoundary);
}

/**
 * Whether a glob pattern matches some substring of `value` that starts and ends at a word
 * boundary, case-insensitively: how `event_match` on `content.body` and content rules
 * match (client-server API, "Push Rules" and "Conditions").
 */
export function globMatchesWords(pattern: string, value: string): boolean {
  return compileGlob(pattern).matchesWords(value);
}

/**
 * Whether `text`, taken literally (no glob characters), appears in `value` as words,
 * case-insensitively: the deprecated `contains_display_name` condition (client-server API,
 * "Conditions").
 */
export function literalMatchesWords(text: string, value: string): boolean {
  return compileGlob(text, false).matchesWords(value);
}
