import type { Requester } from '../accounts/requester.js';
import type { Ctx } from '../context.js';
import { guestForbidden } from '../search/guests.js';
import { foldToken, tokenize } from '../search/query.js';
import * as store from './store.js';

/**
 * The user directory (client-server API "User Directory", `POST /user_directory/search`).
 * Who can be found follows Synapse's defaults: local users who share a room with the
 * requester or are joined to a public room (join rule public, or world_readable history),
 * or every local user with `user_directory.search_all_users`. Deactivated and support
 * accounts never appear. Users of other servers are not listed.
 *
 * A user matches when every word of the search term starts a word of their user id's
 * localpart or display name, case- and accent-insensitively; the whole term matching the
 * localpart, display name or full user id exactly ranks first, then the whole term as a
 * prefix of one of them, then word matches. Within a rank, users with a display name and
 * then with an avatar come first (users.yaml), then by user id.
 */

export interface DirectoryResult {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/**
 * POST /user_directory/search. With `user_directory.enabled: false`, finds nobody. Throws
 * 403 M_GUEST_ACCESS_FORBIDDEN for a guest, as Synapse.
 */
export async function searchUserDirectory(
  ctx: Ctx,
  requester: Requester,
  a: { searchTerm: string; limit: number },
): Promise<{ results: DirectoryResult[]; limited: boolean }> {
  if (requester.isGuest) throw guestForbidden();
  const { enabled, searchAllUsers } = ctx.config.userDirectory;
  const whole = foldToken(a.searchTerm.trim());
  if (!enabled || whole === '') return { results: [], limited: false };
  const terms = tokenize(a.searchTerm).map(foldToken);
  const candidates = searchAllUsers
    ? await store.getAllDirectoryUsers(ctx.db)
    : await store.getVisibleDirectoryUsers(ctx.db, requester.userId);
  const ranked = candidates
    .map((u) => ({
      u: profileOf(u),
      score: matchScore(u.user_id, stringOr(u.displayname), whole, terms),
    }))
    .filter((r) => r.score > 0)
    .sort(
      (x, y) =>
        y.score - x.score ||
        Number(y.u.display_name !== undefined) - Number(x.u.display_name !== undefined) ||
        Number(y.u.avatar_url !== undefined) - Number(x.u.avatar_url !== undefined) ||
        (x.u.user_id < y.u.user_id ? -1 : 1),
    );
  return { results: ranked.slice(0, a.limit).map((r) => r.u), limited: ranked.length > a.limit };
}

/** 3: exact match, 2: whole-term prefix, 1: every word starts a word, 0: no match. */
function matchScore(
  userId: string,
  displayName: string | undefined,
  whole: string,
  terms: string[],
): number {
  const localpart = userId.slice(1, userId.indexOf(':'));
  const names = [
    foldToken(localpart),
    foldToken(userId),
    ...(displayName ? [foldToken(displayName)] : []),
  ];
  if (names.includes(whole)) return 3;
  if (names.some((n) => n.startsWith(whole))) return 2;
  if (!terms.length) return 0;
  const words = [...tokenize(localpart), ...tokenize(displayName ?? '')].map(foldToken);
  return terms.every((t) => words.some((w) => w.startsWith(t))) ? 1 : 0;
}

function profileOf(u: store.DirectoryUser): DirectoryResult {
  const displayName = stringOr(u.displayname);
  const avatarUrl = stringOr(u.avatar_url);
  return {
    user_id: u.user_id,
    ...(displayName !== undefined ? { display_name: displayName } : {}),
    ...(avatarUrl !== undefined ? { avatar_url: avatarUrl } : {}),
  };
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
