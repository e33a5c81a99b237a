import type { Ctx } from '../context.js';
import type { Queryable } from '../db/sql.js';
import { currentPowerLevels, type PowerLevels } from '../events/auth/power-levels.js';
import type { AuthEvent } from '../events/auth/check.js';
import type { Pdu } from '../events/event-format.js';
import type { RoomVersion } from '../events/room-versions.js';
import { splitStateKeyId, stateKeyId, type StateMap } from '../events/state-map.js';
import { getEventJsonMany } from '../events/store.js';
import { pushCaches } from './push-caches.js';
import type { PowerLevelsContent } from './types.js';

/**
 * What push rule evaluation needs to know about a room at an event: who is joined (and
 * under which display name), how many, and the power levels. Read from the room state
 * after the event and cached per room together with that state map: consecutive message
 * events share one state map (the state group cache hands out the same object), so the
 * common case costs one comparison. A state event brings a new map; then only the member
 * events that changed are read. Facts always describe the map they were read from, so a
 * rolled-back commit cannot leave wrong facts behind.
 */

interface Member {
  eventId: string;
  joined: boolean;
  displayName: string | null;
}

export interface RoomPushFacts {
  /** The state these facts were read from. */
  state: StateMap;
  members: Map<string, Member>;
  /** Joined members, local or not (`room_member_count`). */
  joinedCount: number;
  /** Joined members of this server: the users whose counts this server keeps. */
  localJoined: string[];
  /** Event ids the power levels were read from: power levels, then create. */
  powerSource: string;
  powerLevels: PowerLevels;
  powerLevelsContent: PowerLevelsContent | null;
}

const MEMBER_PREFIX = stateKeyId('m.room.member', '');

/**
 * The facts of `roomId` at `state`, from the cache when they were read from that state
 * (callers on a hot path may look in `pushCaches(ctx).rooms` first, without an await).
 */
export async function roomPushFacts(
  ctx: Ctx,
  q: Queryable,
  a: { roomId: string; state: StateMap; version: RoomVersion },
): Promise<RoomPushFacts> {
  const cache = pushCaches(ctx).rooms;
  const earlier = cache.get(a.roomId);
  if (earlier?.state === a.state) return earlier;
  const members = await readMembers(q, a.state, earlier?.members);
  const facts: RoomPushFacts = {
    state: a.state,
    members,
    joinedCount: 0,
    localJoined: [],
    ...(await readPowerLevels(q, a.state, a.version, earlier)),
  };
  const localSuffix = `:${ctx.config.serverName}`;
  for (const [userId, m] of members) {
    if (!m.joined) continue;
    facts.joinedCount++;
    if (userId.endsWith(localSuffix)) facts.localJoined.push(userId);
  }
  cache.set(a.roomId, facts);
  return facts;
}

/** The members of `state`, reusing `known` entries whose member event is unchanged. */
async function readMembers(
  q: Queryable,
  state: StateMap,
  known: Map<string, Member> | undefined,
): Promise<Map<string, Member>> {
  const members = new Map<string, Member>();
  const missing = new Map<string, string>();
  for (const [key, eventId] of state) {
    if (!key.startsWith(MEMBER_PREFIX)) continue;
    const userId = splitStateKeyId(key)[1];
    const old = known?.get(userId);
    if (old?.eventId === eventId) members.set(userId, old);
    else missing.set(eventId, userId);
  }
  const json = await getEventJsonMany(q, [...missing.keys()]);
  for (const [eventId, userId] of missing) {
    const raw = json.get(eventId);
    const content = raw === undefined ? {} : (JSON.parse(raw) as Pdu).content;
    const name = content.displayname;
    members.set(userId, {
      eventId,
      joined: content.membership === 'join',
      displayName: typeof name === 'string' && name !== '' ? name : null,
    });
  }
  return members;
}

async function readPowerLevels(
  q: Queryable,
  state: StateMap,
  version: RoomVersion,
  earlier: RoomPushFacts | undefined,
): Promise<Pick<RoomPushFacts, 'powerSource' | 'powerLevels' | 'powerLevelsContent'>> {
  const plId = state.get(stateKeyId('m.room.power_levels', ''));
  const createId = state.get(stateKeyId('m.room.create', ''));
  const powerSource = `${plId ?? ''}|${createId ?? ''}`;
  if (earlier?.powerSource === powerSource) {
    return {
      powerSource,
      powerLevels: earlier.powerLevels,
      powerLevelsContent: earlier.powerLevelsContent,
    };
  }
  const ids = [plId, createId].filter((id): id is string => id !== undefined);
  const json = await getEventJsonMany(q, ids);
  const load = (id: string | undefined) => {
    const raw = id === undefined ? undefined : json.get(id);
    return raw === undefined ? undefined : (JSON.parse(raw) as AuthEvent);
  };
  const pl = load(plId);
  const create = load(createId);
  const lookup = (type: string, key: string) =>
    key !== ''
      ? undefined
      : type === 'm.room.power_levels'
        ? pl
        : type === 'm.room.create'
          ? create
          : undefined;
  return {
    powerSource,
    powerLevels: currentPowerLevels(lookup, version),
    powerLevelsContent: pl ? (pl.content as PowerLevelsContent) : null,
  };
}
