import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { MatrixError } from '../core/errors.js';
import { valueAtPath } from '../core/dotted-path.js';
import {
  FilterSchema,
  type EventFilterJson,
  type FilterJson,
  type RoomEventFilterJson,
} from './filter-schema.js';

export { applyEventFields } from '../core/dotted-path.js';

/**
 * Filters (client-server API, "Filtering" and `POST /user/{userId}/filter`): checking a
 * filter as a client sends it, its normalized form, and the pure test of one event against
 * one section of it. Where the filter's JSON is stored and how /sync walks rooms is not here.
 */

/** EventFilter, normalized: `null` lists mean "no restriction". */
export interface EventFilter {
  limit: number | null;
  types: string[] | null;
  notTypes: string[];
  senders: string[] | null;
  notSenders: string[];
}

/** RoomEventFilter, normalized. */
export interface RoomEventFilter extends EventFilter {
  rooms: string[] | null;
  notRooms: string[];
  /** true: only events whose content has a string `url`; false: only those without. */
  containsUrl: boolean | null;
  lazyLoadMembers: boolean;
  /** Already false unless `lazyLoadMembers` is on (the spec says it does not apply then). */
  includeRedundantMembers: boolean;
  unreadThreadNotifications: boolean;
}

/** RoomFilter, normalized. */
export interface RoomFilter {
  rooms: string[] | null;
  notRooms: string[];
  includeLeave: boolean;
  ephemeral: RoomEventFilter;
  state: RoomEventFilter;
  timeline: RoomEventFilter;
  accountData: RoomEventFilter;
}

/** Filter, normalized; every section present, defaults filled in. */
export interface Filter {
  eventFields: string[] | null;
  eventFormat: 'client' | 'federation';
  presence: EventFilter;
  accountData: EventFilter;
  room: RoomFilter;
}

/** The fields of an event that filtering looks at; any event object has them. */
export interface FilterableEvent {
  type: string;
  sender?: string;
  room_id?: string;
  content?: unknown;
}

/** Timeline events per room when a filter sets no limit (Synapse's default). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** The most events one filter section may ask for; larger limits are capped to it. */
export const MAX_EVENT_LIMIT = 1000;

let check: TypeCheck<typeof FilterSchema> | null = null;

/**
 * Checks a filter as a client sent it and returns its normalized form
 * (client-server API, `POST /user/{userId}/filter`, definitions/sync_filter.yaml).
 * @param where `body` for an uploaded filter, `query` for an inline `filter` parameter.
 * @throws MatrixError M_BAD_JSON (body) or M_INVALID_PARAM (query), naming the bad field.
 */
export function parseFilter(json: unknown, where: 'body' | 'query' = 'body'): Filter {
  const code = where === 'body' ? 'M_BAD_JSON' : 'M_INVALID_PARAM';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MatrixError(code, 'The filter must be a JSON object', 400);
  }
  check ??= TypeCompiler.Compile(FilterSchema);
  if (!check.Check(json)) {
    throw new MatrixError(code, describeError(check.Errors(json).First()), 400);
  }
  return normalizeFilter(json);
}

/** The inline-or-stored `filter` query parameter of /sync, /messages and /context. */
export type FilterParam = { kind: 'inline'; filter: Filter } | { kind: 'id'; filterId: string };

/**
 * Reads a `filter` query parameter: JSON when it starts with `{`, otherwise the ID of a
 * stored filter (client-server API, `GET /sync` `filter`; filter IDs never start with `{`).
 * @throws MatrixError M_NOT_JSON when inline JSON does not parse, M_INVALID_PARAM when it
 *   is not a valid filter.
 */
export function parseFilterParam(raw: string): FilterParam {
  if (!raw.startsWith('{')) return { kind: 'id', filterId: raw };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MatrixError('M_NOT_JSON', 'The filter parameter is not valid JSON', 400);
  }
  return { kind: 'inline', filter: parseFilter(json, 'query') };
}

/** The filter that filters nothing: what /sync uses without a `filter` parameter. */
export function defaultFilter(): Filter {
  return normalizeFilter({});
}

function describeError(e: ValueError | undefined): string {
  if (!e) return 'Invalid filter';
  const field = e.path.replace(/^\//, '').replace(/\//g, '.') || 'filter';
  const options = (e.schema as TSchema & { anyOf?: { const?: unknown }[] }).anyOf;
  if (options?.every((o) => typeof o.const === 'string')) {
    return `Invalid ${field}: must be one of ${options.map((o) => o.const).join(', ')}`;
  }
  return `Invalid ${field}: ${e.message.toLowerCase()}`;
}

function normalizeFilter(json: FilterJson): Filter {
  const room = json.room ?? {};
  return {
    eventFields: json.event_fields ?? null,
    eventFormat: json.event_format ?? 'client',
    presence: normalizeEventFilter(json.presence ?? {}),
    accountData: normalizeEventFilter(json.account_data ?? {}),
    room: {
      rooms: room.rooms ?? null,
      notRooms: room.not_rooms ?? [],
      includeLeave: room.include_leave ?? false,
      ephemeral: normalizeRoomEventFilter(room.ephemeral ?? {}),
      state: normalizeRoomEventFilter(room.state ?? {}),
      timeline: normalizeRoomEventFilter(room.timeline ?? {}),
      accountData: normalizeRoomEventFilter(room.account_data ?? {}),
    },
  };
}

function normalizeEventFilter(json: EventFilterJson): EventFilter {
  return {
    limit: json.limit ?? null,
    types: json.types ?? null,
    notTypes: json.not_types ?? [],
    senders: json.senders ?? null,
    notSenders: json.not_senders ?? [],
  };
}

function normalizeRoomEventFilter(json: RoomEventFilterJson): RoomEventFilter {
  const lazyLoadMembers = json.lazy_load_members ?? false;
  return {
    ...normalizeEventFilter(json),
    rooms: json.rooms ?? null,
    notRooms: json.not_rooms ?? [],
    containsUrl: json.contains_url ?? null,
    lazyLoadMembers,
    includeRedundantMembers: lazyLoadMembers && (json.include_redundant_members ?? false),
    unreadThreadNotifications: json.unread_thread_notifications ?? false,
  };
}

/**
 * Whether a room's data is wanted at all under the `room` section's `rooms` / `not_rooms`
 * (RoomFilter; applied before its ephemeral, state, timeline and account_data filters).
 * `not_rooms` wins over `rooms`.
 */
export function roomIncluded(
  filter: Pick<RoomFilter, 'rooms' | 'notRooms'>,
  roomId: string,
): boolean {
  if (filter.notRooms.includes(roomId)) return false;
  return filter.rooms === null || filter.rooms.includes(roomId);
}

/**
 * Whether an event passes one section of a filter (EventFilter / RoomEventFilter):
 * - `types` / `not_types` entries may hold `*`, matching any run of characters;
 * - each `not_*` list wins over its positive list; an absent positive list allows all;
 * - `rooms` / `not_rooms` and `contains_url` apply to RoomEventFilters only;
 * - a presence event without `sender` is matched on `content.user_id`, as Synapse does.
 */
export function eventMatchesFilter(
  event: FilterableEvent,
  filter: EventFilter & Partial<Pick<RoomEventFilter, 'rooms' | 'notRooms' | 'containsUrl'>>,
): boolean {
  if (!listAllows(event.type, filter.types, filter.notTypes, typeMatches)) return false;
  const sender = event.sender ?? presenceUserId(event);
  if (!listAllows(sender, filter.senders, filter.notSenders, equals)) return false;
  if (filter.rooms !== undefined || filter.notRooms !== undefined) {
    if (!listAllows(event.room_id, filter.rooms ?? null, filter.notRooms ?? [], equals)) {
      return false;
    }
  }
  if (filter.containsUrl !== undefined && filter.containsUrl !== null) {
    const hasUrl = typeof valueAtPath(event.content, ['url']) === 'string';
    if (hasUrl !== filter.containsUrl) return false;
  }
  return true;
}

/**
 * How many events a filter section asks for: its `limit`, or `fallback` when it has none,
 * capped to `max` (event_filter.yaml: servers apply a default and impose a maximum).
 */
export function eventLimit(
  filter: Pick<EventFilter, 'limit'>,
  fallback = DEFAULT_TIMELINE_LIMIT,
  max = MAX_EVENT_LIMIT,
): number {
  return Math.min(filter.limit ?? fallback, max);
}

function listAllows(
  value: string | undefined,
  allow: readonly string[] | null,
  deny: readonly string[],
  matches: (value: string, entry: string) => boolean,
): boolean {
  if (value === undefined) return allow === null;
  if (deny.some((entry) => matches(value, entry))) return false;
  return allow === null || allow.some((entry) => matches(value, entry));
}

function equals(value: string, entry: string): boolean {
  return value === entry;
}

/**
 * An event type against a `types` entry, where `*` matches any run of characters. The
 * greedy two-pointer walk takes O(type length x entry length) at worst, where a RegExp
 * would backtrack exponentially on entries like `*.*.*.*.x`.
 */
function typeMatches(type: string, entry: string): boolean {
  let t = 0;
  let e = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < type.length) {
    if (e < entry.length && entry[e] === '*') {
      starAt = e++;
      resumeAt = t;
    } else if (e < entry.length && entry[e] === type[t]) {
      e++;
      t++;
    } else if (starAt >= 0) {
      e = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (entry[e] === '*') e++;
  return e === entry.length;
}

function presenceUserId(event: FilterableEvent): string | undefined {
  if (event.type !== 'm.presence') return undefined;
  const userId = valueAtPath(event.content, ['user_id']);
  return typeof userId === 'string' ? userId : undefined;
}
