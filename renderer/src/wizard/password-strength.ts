/**
 * A rough strength hint for the admin password, shown as the person types. The server has
 * the last word (at least 8 characters, and password_config's policy); this only nudges
 * toward longer passwords.
 */
export interface Strength {
  /** 0 (too short) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
}

const COMMON = /^(password|passw0rd|qwerty|letmein|welcome|admin|iloveyou|abc123|monkey|dragon)/i;

export function passwordStrength(password: string, username = ''): Strength {
  const length = [...password].length;
  if (length < 8) {
    return {
      score: 0,
      label: 'Too short',
      hint: `At least 8 characters (${length} so far).`,
    };
  }
  const kinds = [/\p{Ll}/u, /\p{Lu}/u, /\p{N}/u, /[^\p{L}\p{N}]/u].filter((r) =>
    r.test(password),
  ).length;
  let score = 1;
  if (length >= 12) score++;
  if (length >= 16) score++;
  if (kinds >= 3) score++;
  const lower = password.toLowerCase();
  const weakPattern =
    COMMON.test(password) ||
    /^(.)\1+$/.test(password) ||
    /^(0123|1234|2345|3456|4567|5678|6789|abcd)/.test(lower) ||
    (username !== '' && lower.includes(username.toLowerCase()));
  if (weakPattern) score = 1;
  const s = Math.min(4, score) as Strength['score'];
  const labels = ['Too short', 'Weak', 'Fair', 'Good', 'Strong'] as const;
  const hint =
    s >= 3
      ? 'A good password.'
      : weakPattern
        ? 'Easy to guess: avoid common words, sequences and your user name.'
        : 'Longer is stronger: a few unrelated words work well.';
  return { score: s, label: labels[s], hint };
}
