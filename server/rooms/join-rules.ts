import type { Ctx } from '../context.js';
import { parseUserId } from '../core/ids.js';
import { userLevel } from '../events/auth/power-levels.js';
import type { Pdu } from '../events/event-format.js';
import type { RoomVersion } from '../events/room-versions.js';
import * as events from '../events/store.js';
import { roomPowerLevels } from './directory.js';
import { membershipOf } from './room-state.js';

/**
 * Restricted join rules (spec "Restricted rooms"; server-server "Restricted rooms"): who
 * may join through membership of another room, and who on this server may vouch for them.
 * Read by local joins, by joins of other servers' users, and by the space hierarchy.
 */

/** Whether `joinRule` is a restricted one in `version`: restricted (v8+), knock_restricted (v10+). */
export function isRestrictedJoinRule(version: RoomVersion, joinRule: unknown): boolean {
  return (
    (version.restrictedJoinRule && joinRule === 'restricted') ||
    (version.knockRestrictedJoinRule && joinRule === 'knock_restricted')
  );
}

/** The room ids the allow list of m.room.join_rules content names (m.room_membership entries). */
export function allowListRoomIds(joinRules: Record<string, unknown>): string[] {
  const allow = joinRules.allow;
  if (!Array.isArray(allow)) return [];
  return allow.flatMap((e: unknown) => {
    const entry = e as { type?: unknown; room_id?: unknown } | null;
    return entry?.type === 'm.room_membership' && typeof entry.room_id === 'string'
      ? [entry.room_id]
      : [];
  });
}

/**
 * For a join of `userId` to `roomId` (of `version`): the rooms whose members the join rule
 * admits, when it is restricted and the user is neither joined nor invited; undefined when
 * the join needs no authoriser (a banned user too: the auth rules refuse them).
 */
export async function roomsAdmittingJoin(
  ctx: Ctx,
  version: RoomVersion,
  roomId: string,
  userId: string,
): Promise<string[] | undefined> {
  const row = await events.getCurrentStateEventJson(ctx.db, roomId, 'm.room.join_rules', '');
  if (!row) return undefined;
  const rules = (JSON.parse(row.json) as Pdu).content;
  if (!isRestrictedJoinRule(version, rules.join_rule)) return undefined;
  const current = await membershipOf(ctx, roomId, userId);
  if (current === 'join' || current === 'invite' || current === 'ban') return undefined;
  return allowListRoomIds(rules);
}

/**
 * A user of this server joined to the room whose power level lets them invite: the one to
 * name in a restricted join's join_authorised_via_users_server. Undefined when there is none.
 */
export async function localMemberWhoMayInvite(
  ctx: Ctx,
  roomId: string,
): Promise<string | undefined> {
  const pl = await roomPowerLevels(ctx, roomId);
  if (!pl) return undefined;
  for (const r of await events.getCurrentStateJson(ctx.db, roomId)) {
    const pdu = JSON.parse(r.json) as Pdu;
    const who = pdu.state_key;
    if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'join' || !who) continue;
    if (parseUserId(who)?.serverName !== ctx.config.serverName) continue;
    if (userLevel(pl, who) >= pl.levels.invite) return who;
  }
  return undefined;
}
