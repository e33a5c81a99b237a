import type { RoomVersion } from '../room-versions.js';

/**
 * The number each authorization rule has in a room version's list (spec "Room Versions",
 * rooms/v1 .. v12, "Authorization rules"), so a refusal can cite the rule as a reader of
 * that version's page finds it. The lists differ by the rules a version adds or drops:
 * the aliases rule (v1-v5), the redaction rule (v1-v2), join_authorised_via_users_server
 * and restricted joins (v8+), knock (v7+), the integer checks of power levels (v10+), the
 * creator's field (v1-v10) and the v12 create/room id/creators rules.
 *
 * Numbers follow the rendered spec (Markdown renumbers ordered lists): v12's auth_events
 * rule written "5." is 3.4, and its power levels "Otherwise, allow" written "10." is 10.11.
 */
export interface RuleNumbers {
  create: string;
  createHasRoomId: string;
  createRoomVersion: string;
  /** 1.4 in v1-v10 (no `creator`) and in v12 (`additional_creators`); absent in v11. */
  createContent: string | undefined;
  /** v12 rule 2: the room id names the create event. */
  roomIdIsCreate: string | undefined;
  authEvents: string;
  authNoCreate: string | undefined;
  authRoomId: string;
  federate: string;
  aliases: string | undefined;
  member: string;
  /** v8+: join_authorised_via_users_server must have signed the event. */
  memberAuthorisedSigned: string | undefined;
  join: string;
  /** v8+: the restricted join rule. */
  joinRestricted: string | undefined;
  joinPublic: string;
  joinOtherwise: string;
  invite: string;
  leave: string;
  ban: string;
  knock: string | undefined;
  memberUnknown: string;
  senderJoined: string;
  thirdPartyInvite: string;
  requiredLevel: string;
  stateKeyUser: string;
  powerLevels: string;
  /** v10+: integer-valued top-level properties (x.1) and `events`/`notifications` (x.2). */
  plIntegers: string | undefined;
  plMaps: string | undefined;
  plUsers: string;
  /** v12: creators may not appear in `users`. */
  plCreators: string | undefined;
  plNoPrevious: string;
  plTopLevel: string;
  plEventsRemoved: string;
  plEventsAdded: string;
  plUsersRemoved: string;
  plUsersAdded: string;
  plAllow: string;
  /** v1-v2: the redaction rule (redact level or same domain). */
  redaction: string | undefined;
  allow: string;
}

/**
 * v1-v2 have their own m.room.redaction rule, dropped in v3 when event ids stopped naming
 * a server. room-versions.ts has no flag for it; the event id format marks exactly v1-v2.
 */
export function hasRedactionRule(v: RoomVersion): boolean {
  return v.eventIdFormat === 'server';
}

const cache = new Map<string, RuleNumbers>();

/** The rule numbers of room version `v` (see RuleNumbers). */
export function ruleNumbers(v: RoomVersion): RuleNumbers {
  const hit = cache.get(v.id);
  if (hit) return hit;
  let top = 1;
  const next = (): string => String(++top);
  const roomIdIsCreate = v.roomIdFromCreateEvent ? next() : undefined;
  const authEvents = next();
  const federate = next();
  const aliases = v.specialCaseAliasesAuth ? next() : undefined;
  const member = next();
  let m = 1;
  const memberAuthorisedSigned = v.restrictedJoinRule ? `${member}.${++m}.1` : undefined;
  const join = `${member}.${++m}`;
  let j = 4;
  const joinRestricted = v.restrictedJoinRule ? `${join}.${++j}` : undefined;
  const joinPublic = `${join}.${++j}`;
  const joinOtherwise = `${join}.${++j}`;
  const invite = `${member}.${++m}`;
  const leave = `${member}.${++m}`;
  const ban = `${member}.${++m}`;
  const knock = v.knockJoinRule ? `${member}.${++m}` : undefined;
  const memberUnknown = `${member}.${++m}`;
  const senderJoined = next();
  const thirdPartyInvite = next();
  const requiredLevel = next();
  const stateKeyUser = next();
  const powerLevels = next();
  let p = 0;
  const pl = (): string => `${powerLevels}.${++p}`;
  const plIntegers = v.integerPowerLevels ? pl() : undefined;
  const plMaps = v.integerPowerLevels ? pl() : undefined;
  const plUsers = pl();
  const plCreators = v.privilegedCreators ? pl() : undefined;
  const numbers: RuleNumbers = {
    create: '1',
    createHasRoomId: '1.2',
    createRoomVersion: '1.3',
    createContent: v.implicitRoomCreator && !v.roomIdFromCreateEvent ? undefined : '1.4',
    roomIdIsCreate,
    authEvents,
    authNoCreate: v.roomIdFromCreateEvent ? undefined : `${authEvents}.4`,
    authRoomId: `${authEvents}.${v.roomIdFromCreateEvent ? 4 : 5}`,
    federate,
    aliases,
    member,
    memberAuthorisedSigned,
    join,
    joinRestricted,
    joinPublic,
    joinOtherwise,
    invite,
    leave,
    ban,
    knock,
    memberUnknown,
    senderJoined,
    thirdPartyInvite,
    requiredLevel,
    stateKeyUser,
    powerLevels,
    plIntegers,
    plMaps,
    plUsers,
    plCreators,
    plNoPrevious: pl(),
    plTopLevel: pl(),
    plEventsRemoved: pl(),
    plEventsAdded: pl(),
    plUsersRemoved: pl(),
    plUsersAdded: pl(),
    plAllow: pl(),
    redaction: hasRedactionRule(v) ? next() : undefined,
    allow: '',
  };
  numbers.allow = next();
  cache.set(v.id, numbers);
  return numbers;
}
