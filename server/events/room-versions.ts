import { KNOWN_ROOM_VERSIONS } from '../core/room-versions.js';

/**
 * What differs between room versions (spec "Room Versions", rooms/v1 .. v12), as named
 * properties, so rules say `if (v.knockJoinRule)` and never `if (version >= 7)`.
 * Every property cites the version that introduced it.
 */
export interface RoomVersion {
  id: string;
  /**
   * How event ids are made: 'server' ($random:server, v1-v2), 'hash' (base64 of the
   * reference hash, v3), 'url-safe-hash' (URL-safe base64, v4+).
   */
  eventIdFormat: 'server' | 'hash' | 'url-safe-hash';
  /** State resolution: v1 (v1), v2 (v2-v11), v2.1 (v12, MSC4297). */
  stateRes: 'v1' | 'v2' | 'v2.1';
  /** v5: signing keys must be valid (valid_until_ts) at the event's origin_server_ts. */
  enforceKeyValidity: boolean;
  /** v1-v5: m.room.aliases events have their own auth rule (state_key = sender's server). */
  specialCaseAliasesAuth: boolean;
  /** v6: canonical JSON is strict: integers only in [-(2^53)+1, 2^53-1], no floats. */
  strictCanonicalJson: boolean;
  /** v6: power levels' `notifications` object is checked like `events`. */
  limitNotificationsPowerLevels: boolean;
  /** v7: the `knock` join rule and membership. */
  knockJoinRule: boolean;
  /** v8: the `restricted` join rule (join via membership of other rooms). */
  restrictedJoinRule: boolean;
  /**
   * v1-v5: the redaction algorithm keeps `aliases` in m.room.aliases' content; v6 removed
   * "all significant meaning for m.room.aliases" from it (rooms/v6, "Redactions").
   */
  redactionKeepsAliases: boolean;
  /**
   * v8: the redaction algorithm keeps `allow` in m.room.join_rules' content ("m.room.join_rules
   * events now keep allow in addition to other keys in content", rooms/v8, "Redactions").
   */
  redactionKeepsJoinRulesAllow: boolean;
  /** v9: the redaction algorithm keeps `join_authorised_via_users_server` of m.room.member. */
  restrictedJoinRuleRedactionFix: boolean;
  /** v10: the `knock_restricted` join rule. */
  knockRestrictedJoinRule: boolean;
  /** v10: power level values must be integers (not strings of digits). */
  integerPowerLevels: boolean;
  /**
   * v11: the updated redaction algorithm (keeps all of m.room.create's content, `redacts`
   * in m.room.redaction's content, `invite` in power levels; drops top-level `origin`,
   * `membership`, `prev_state`), and `redacts` lives in the content of m.room.redaction.
   */
  updatedRedactionRules: boolean;
  /** v11: m.room.create has no `creator`; the creator is the create event's sender. */
  implicitRoomCreator: boolean;
  /**
   * v12: the room id is `!` + the URL-safe base64 reference hash of the create event, which
   * has no room_id itself and is not listed in other events' auth_events.
   */
  roomIdFromCreateEvent: boolean;
  /** v12: the creators (create sender + additional_creators) have infinite power level. */
  privilegedCreators: boolean;
}

const V1: RoomVersion = {
  id: '1',
  eventIdFormat: 'server',
  stateRes: 'v1',
  enforceKeyValidity: false,
  specialCaseAliasesAuth: true,
  strictCanonicalJson: false,
  limitNotificationsPowerLevels: false,
  knockJoinRule: false,
  restrictedJoinRule: false,
  redactionKeepsAliases: true,
  redactionKeepsJoinRulesAllow: false,
  restrictedJoinRuleRedactionFix: false,
  knockRestrictedJoinRule: false,
  integerPowerLevels: false,
  updatedRedactionRules: false,
  implicitRoomCreator: false,
  roomIdFromCreateEvent: false,
  privilegedCreators: false,
};

const V2 = { ...V1, id: '2', stateRes: 'v2' } as const satisfies RoomVersion;
const V3 = { ...V2, id: '3', eventIdFormat: 'hash' } as const satisfies RoomVersion;
const V4 = { ...V3, id: '4', eventIdFormat: 'url-safe-hash' } as const satisfies RoomVersion;
const V5 = { ...V4, id: '5', enforceKeyValidity: true } as const satisfies RoomVersion;
const V6 = {
  ...V5,
  id: '6',
  specialCaseAliasesAuth: false,
  redactionKeepsAliases: false,
  strictCanonicalJson: true,
  limitNotificationsPowerLevels: true,
} as const satisfies RoomVersion;
const V7 = { ...V6, id: '7', knockJoinRule: true } as const satisfies RoomVersion;
const V8 = {
  ...V7,
  id: '8',
  restrictedJoinRule: true,
  redactionKeepsJoinRulesAllow: true,
} as const satisfies RoomVersion;
const V9 = { ...V8, id: '9', restrictedJoinRuleRedactionFix: true } as const satisfies RoomVersion;
const V10 = {
  ...V9,
  id: '10',
  knockRestrictedJoinRule: true,
  integerPowerLevels: true,
} as const satisfies RoomVersion;
const V11 = {
  ...V10,
  id: '11',
  updatedRedactionRules: true,
  implicitRoomCreator: true,
} as const satisfies RoomVersion;
const V12 = {
  ...V11,
  id: '12',
  stateRes: 'v2.1',
  roomIdFromCreateEvent: true,
  privilegedCreators: true,
} as const satisfies RoomVersion;

const ALL: RoomVersion[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];
const BY_ID = new Map(ALL.map((v) => [v.id, v]));

/** The rules of a room version, or undefined for a version Hearth does not know. */
export function roomVersion(id: string): RoomVersion | undefined {
  return BY_ID.get(id);
}

/** Every room version Hearth implements, oldest first (matches core/room-versions.ts). */
export function allRoomVersions(): readonly RoomVersion[] {
  return ALL;
}

if (ALL.map((v) => v.id).join() !== KNOWN_ROOM_VERSIONS.join()) {
  throw new Error('server/events/room-versions.ts and core/room-versions.ts disagree');
}
