import { getProfile } from '../accounts/profile.js';
import type { Requester } from '../accounts/requester.js';
import { errors, MatrixError } from '../core/errors.js';
import { parseUserId } from '../core/ids.js';
import type { Ctx } from '../context.js';
import type { Pdu } from '../events/event-format.js';
import { createRoomWithCreateEvent, sendLocalEvent } from '../events/persist.js';
import { roomVersion, type RoomVersion } from '../events/room-versions.js';
import * as events from '../events/store.js';
import { displayFields } from './create-room.js';
import { canSendState } from './directory.js';
import * as store from './store.js';
import {
  carriedPowerLevels,
  restrictedPowerLevels,
  setupPowerLevels,
} from './upgrade-power-levels.js';

/**
 * POST /rooms/{roomId}/upgrade (client-server "Room Upgrades", "Server behaviour"): make a
 * replacement room of the new version that names the old one as its predecessor, carry
 * over the state Synapse carries, move the local aliases and the directory listing, then
 * tombstone the old room and restrict who may speak there.
 */

/** State copied as it is (Synapse's list; the spec recommends the first nine). */
const COPIED_STATE = [
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.encryption',
  'm.room.server_acl',
  'm.room.related_groups',
];
/** State copied under every state key: the room's place in spaces, and a space's rooms. */
const COPIED_STATE_ANY_KEY = ['m.space.child', 'm.space.parent'];

/** How long a finished upgrade answers a repeat of the same request (Synapse: 5 minutes). */
const UPGRADE_RESULT_TTL_MS = 5 * 60_000;

interface UpgradeEntry {
  result: Promise<{ replacement_room: string }>;
  expiresAt: number | null;
}
/**
 * Upgrades in flight or just done, per server context and keyed by room and user, so a
 * client's retry or double click gets the same replacement room instead of a second one.
 * Keyed by the context (not a module global) so test servers in one process stay apart.
 */
const upgrades = new WeakMap<Ctx, Map<string, UpgradeEntry>>();

export interface UpgradeArgs {
  roomId: string;
  newVersion: string;
  additionalCreators?: string[] | undefined;
}

/**
 * Upgrades a room. Throws 400 M_UNSUPPORTED_ROOM_VERSION for an unknown version, 404 for
 * an unknown room, 403 unless the user may send m.room.tombstone in it.
 */
export function upgradeRoom(
  ctx: Ctx,
  requester: Requester,
  a: UpgradeArgs,
): Promise<{ replacement_room: string }> {
  let byKey = upgrades.get(ctx);
  if (!byKey) upgrades.set(ctx, (byKey = new Map()));
  const now = ctx.clock.now();
  for (const [k, e] of byKey) if (e.expiresAt !== null && e.expiresAt <= now) byKey.delete(k);
  const key = `${a.roomId}|${requester.userId}`;
  const running = byKey.get(key);
  if (running) return running.result;
  const entry: UpgradeEntry = { result: performUpgrade(ctx, requester.userId, a), expiresAt: null };
  byKey.set(key, entry);
  entry.result.then(
    () => (entry.expiresAt = ctx.clock.now() + UPGRADE_RESULT_TTL_MS),
    () => byKey.delete(key),
  );
  return entry.result;
}

async function performUpgrade(
  ctx: Ctx,
  me: string,
  a: UpgradeArgs,
): Promise<{ replacement_room: string }> {
  const version = roomVersion(a.newVersion);
  if (!version) {
    throw new MatrixError(
      'M_UNSUPPORTED_ROOM_VERSION',
      `This server does not support room version ${a.newVersion}`,
      400,
    );
  }
  const oldRow = await events.getRoom(ctx.db, a.roomId);
  const oldVersion = oldRow && roomVersion(oldRow.room_version);
  if (!oldVersion) throw errors.notFound(`Unknown room ${a.roomId}`);
  if (!(await canSendState(ctx, a.roomId, me, 'm.room.tombstone'))) {
    throw errors.forbidden('You may not upgrade this room');
  }
  const extraCreators = version.privilegedCreators ? [...new Set(a.additionalCreators ?? [])] : [];
  for (const u of extraCreators) {
    if (!parseUserId(u)) throw errors.invalidParam(`Invalid user id in additional_creators: ${u}`);
  }

  const state = await loadState(ctx, a.roomId);
  const newRoomId = await createReplacement(ctx, me, a.roomId, version, state, extraCreators);
  const send = (roomId: string, type: string, content: Record<string, unknown>, stateKey = '') =>
    sendLocalEvent(ctx, { roomId, type, stateKey, sender: me, content });

  const oldLevels = state.get('m.room.power_levels|')?.content;
  const creators = new Set(version.privilegedCreators ? [me, ...extraCreators] : []);
  const levels = oldLevels && carriedPowerLevels(oldLevels, oldVersion, version, creators);
  const setup = levels && setupPowerLevels(levels, me, creators.has(me));
  if (setup) await send(newRoomId, 'm.room.power_levels', setup);
  for (const pdu of state.values()) {
    const copied =
      (COPIED_STATE.includes(pdu.type) && pdu.state_key === '') ||
      COPIED_STATE_ANY_KEY.includes(pdu.type);
    if (copied) await send(newRoomId, pdu.type, pdu.content, pdu.state_key);
  }
  for (const pdu of state.values()) {
    if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'ban') continue;
    const reason = pdu.content.reason;
    const content =
      typeof reason === 'string' ? { membership: 'ban', reason } : { membership: 'ban' };
    await bestEffort(ctx, 'ban', send(newRoomId, 'm.room.member', content, pdu.state_key));
  }

  await send(a.roomId, 'm.room.tombstone', {
    body: 'This room has been replaced',
    replacement_room: newRoomId,
  });
  await moveAliases(ctx, me, a.roomId, newRoomId, state.get('m.room.canonical_alias|')?.content);
  if (oldRow.is_public) {
    await ctx.writer.transaction('move_room_directory_entry', async (tx) => {
      await store.setRoomPublic(tx, newRoomId, true);
      await store.setRoomPublic(tx, a.roomId, false);
    });
  }
  if (oldLevels) {
    const sameVersionCopy = carriedPowerLevels(oldLevels, oldVersion, oldVersion, new Set());
    const restricted = restrictedPowerLevels(sameVersionCopy);
    if (restricted)
      await bestEffort(
        ctx,
        'old room power levels',
        send(a.roomId, 'm.room.power_levels', restricted),
      );
  }
  if (levels && setup !== levels) await send(newRoomId, 'm.room.power_levels', levels);
  ctx.log.info({ oldRoomId: a.roomId, newRoomId, version: version.id, by: me }, 'room upgraded');
  return { replacement_room: newRoomId };
}

/** The room's current state by "type|state_key". */
async function loadState(ctx: Ctx, roomId: string): Promise<Map<string, Pdu>> {
  const state = new Map<string, Pdu>();
  for (const r of await events.getCurrentStateJson(ctx.db, roomId)) {
    const pdu = JSON.parse(r.json) as Pdu;
    state.set(`${pdu.type}|${pdu.state_key}`, pdu);
  }
  return state;
}

/**
 * The new room, with the upgrading user joined. Its create event names the predecessor
 * with the old room's latest event (the spec's "last known event in the old room"); for
 * versions whose room id is the create event's hash (v12) the event id is left out, as
 * Synapse does and the spec allows. The room type and m.federate carry over.
 */
async function createReplacement(
  ctx: Ctx,
  me: string,
  oldRoomId: string,
  version: RoomVersion,
  state: Map<string, Pdu>,
  extraCreators: string[],
): Promise<string> {
  const oldCreate = state.get('m.room.create|')?.content ?? {};
  const predecessor: Record<string, string> = { room_id: oldRoomId };
  if (!version.roomIdFromCreateEvent) {
    const [last] = await events.getForwardExtremities(ctx.db, oldRoomId);
    if (last) predecessor.event_id = last;
  }
  const content: Record<string, unknown> = { predecessor };
  if (typeof oldCreate.type === 'string') content.type = oldCreate.type;
  if (oldCreate['m.federate'] === false) content['m.federate'] = false;
  if (extraCreators.length) content.additional_creators = extraCreators;
  const { roomId } = await createRoomWithCreateEvent(ctx, { version, sender: me, content });
  const profile = await getProfile(ctx, me);
  await sendLocalEvent(ctx, {
    roomId,
    type: 'm.room.member',
    stateKey: me,
    sender: me,
    content: { membership: 'join', ...displayFields(profile) },
  });
  return roomId;
}

/**
 * Points the local aliases at the new room and splits the canonical alias as Synapse
 * does: this server's aliases go to the new room's m.room.canonical_alias, the others stay
 * in the old room's. Failures to update either event are logged, not fatal: the new room
 * exists by now and the client must learn its id.
 */
async function moveAliases(
  ctx: Ctx,
  me: string,
  oldRoomId: string,
  newRoomId: string,
  canonical: Record<string, unknown> | undefined,
): Promise<void> {
  await ctx.writer.transaction('move_room_aliases', (tx) =>
    store.moveAliases(tx, oldRoomId, newRoomId),
  );
  if (!canonical) return;
  const isLocal = (alias: unknown): alias is string =>
    typeof alias === 'string' && alias.endsWith(`:${ctx.config.serverName}`);
  const oldContent: Record<string, unknown> = { ...canonical };
  const newContent: Record<string, unknown> = {};
  if (isLocal(canonical.alias)) {
    newContent.alias = canonical.alias;
    delete oldContent.alias;
  }
  if (Array.isArray(canonical.alt_aliases)) {
    const alt = canonical.alt_aliases as unknown[];
    oldContent.alt_aliases = alt.filter((x) => !isLocal(x));
    newContent.alt_aliases = alt.filter(isLocal);
  }
  const send = (roomId: string, content: Record<string, unknown>) =>
    sendLocalEvent(ctx, {
      roomId,
      type: 'm.room.canonical_alias',
      stateKey: '',
      sender: me,
      content,
    });
  await bestEffort(ctx, 'old room canonical alias', send(oldRoomId, oldContent));
  await bestEffort(ctx, 'new room canonical alias', send(newRoomId, newContent));
}

/** Awaits a step the upgrade can do without: a refusal is logged, anything else thrown. */
async function bestEffort(ctx: Ctx, what: string, step: Promise<unknown>): Promise<void> {
  try {
    await step;
  } catch (e) {
    if (!(e instanceof MatrixError)) throw e;
    ctx.log.warn({ err: e.message }, `room upgrade: ${what} not updated`);
  }
}
