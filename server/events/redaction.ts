import type { EventJson } from './event-format.js';
import type { RoomVersion } from './room-versions.js';
import { isObject } from '../core/is-object.js';

/**
 * The redaction algorithm (spec rooms/v1 "Redactions" = fragment v1-redactions, then
 * v6-redactions, rooms/v8 "Redactions", v9-redactions, v11-redactions). It decides what a
 * redacted event keeps, and so what the reference hash (event ids) and signatures cover.
 */

/** Top-level keys kept by the v1-v10 algorithm (v1-redactions). */
const TOP_LEVEL_V1: readonly string[] = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'prev_state',
  'auth_events',
  'origin',
  'origin_server_ts',
  'membership',
];

/** v11-redactions: `origin`, `membership` and `prev_state` are no longer protected. */
const TOP_LEVEL_V11: readonly string[] = TOP_LEVEL_V1.filter(
  (k) => k !== 'origin' && k !== 'membership' && k !== 'prev_state',
);

const POWER_LEVELS_V1 = [
  'ban',
  'events',
  'events_default',
  'kick',
  'redact',
  'state_default',
  'users',
  'users_default',
];

/** The content keys that survive redaction for `type`, or 'all' (v11 m.room.create). */
function keptContentKeys(type: unknown, v: RoomVersion): readonly string[] | 'all' {
  switch (type) {
    case 'm.room.member':
      return v.restrictedJoinRuleRedactionFix
        ? ['membership', 'join_authorised_via_users_server']
        : ['membership'];
    case 'm.room.create':
      return v.updatedRedactionRules ? 'all' : ['creator'];
    case 'm.room.join_rules':
      return v.redactionKeepsJoinRulesAllow ? ['join_rule', 'allow'] : ['join_rule'];
    case 'm.room.power_levels':
      return v.updatedRedactionRules ? [...POWER_LEVELS_V1, 'invite'] : POWER_LEVELS_V1;
    case 'm.room.history_visibility':
      return ['history_visibility'];
    case 'm.room.aliases':
      return v.redactionKeepsAliases ? ['aliases'] : [];
    case 'm.room.redaction':
      return v.updatedRedactionRules ? ['redacts'] : [];
    default:
      return [];
  }
}

function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(obj, k)) out[k] = obj[k];
  return out;
}

function redactContent(type: unknown, content: unknown, v: RoomVersion): Record<string, unknown> {
  if (!isObject(content)) return {};
  const keys = keptContentKeys(type, v);
  if (keys === 'all') return { ...content };
  const out = pick(content, keys);
  // v11-redactions: m.room.member "allows the `signed` key of the `third_party_invite` key".
  // As Synapse does, an object third_party_invite stays, holding `signed` only.
  if (type === 'm.room.member' && v.updatedRedactionRules && isObject(content.third_party_invite)) {
    out.third_party_invite = pick(content.third_party_invite, ['signed']);
  }
  return out;
}

/**
 * Returns the redacted copy of `event` under the rules of room `version`: top-level keys
 * not in the version's list are dropped (`unsigned` too; a server serving the event to
 * clients adds `redacted_because` back itself), and `content` keeps only the keys its
 * event type protects. The input is not modified; kept values are shared, not copied.
 * Spec: rooms/vN "Redactions" (fragments v1-, v6-, v9-, v11-redactions; rooms/v8).
 */
export function redactEvent(event: EventJson, version: RoomVersion): EventJson {
  const topLevel = version.updatedRedactionRules ? TOP_LEVEL_V11 : TOP_LEVEL_V1;
  const out = pick(event, topLevel);
  if (Object.hasOwn(event, 'content')) {
    out.content = redactContent(event.type, event.content, version);
  }
  return out;
}
