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

/**
 * Whether a glob pattern matches the whole of `value`, case-insensitively
 * (client-server API, "Conditions", `event_match`).
 */
export function globMatchesValue(pattern: string, value: string): boolean {
  const text = [...value];
  return search(tokenize(pattern, true), text, true, (j) => j === text.length);
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
  return matchesWords(tokenize(pattern, true), value);
}

/**
 * Whether `text`, taken literally (no glob characters), appears in `value` as words,
 * case-insensitively: the deprecated `contains_display_name` condition (client-server API,
 * "Conditions").
 */
export function literalMatchesWords(text: string, value: string): boolean {
  return matchesWords(tokenize(text, false), value);
}
