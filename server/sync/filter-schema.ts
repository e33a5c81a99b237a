import { Type, type Static } from '@sinclair/typebox';

/**
 * The wire shape of a filter, field for field as the spec's `Filter`, `RoomFilter`,
 * `EventFilter` and `RoomEventFilter` (client-server API, `POST /user/{userId}/filter`;
 * data/api/client-server/definitions/sync_filter.yaml, event_filter.yaml,
 * room_event_filter.yaml). `state` is a RoomEventFilter, as the spec has it today.
 * Unknown fields are allowed and ignored, so filters written for later spec versions work.
 */

/** `format: mx-user-id`: `@localpart:server`. Stricter than the spec's bare `^@` pattern. */
const UserIdString = Type.String({ pattern: '^@[^:]+:.+$' });
/** `format: mx-room-id`: `!opaque` (room version 12 IDs have no server part). */
const RoomIdString = Type.String({ pattern: '^!.+$' });

/**
 * `limit`: the spec asks for an integer greater than 0; 0 is accepted too (it asks for no
 * events, which some bots send) and the server caps large values.
 */
const Limit = Type.Integer({ minimum: 0 });

const eventFilterFields = {
  limit: Type.Optional(Limit),
  types: Type.Optional(Type.Array(Type.String())),
  not_types: Type.Optional(Type.Array(Type.String())),
  senders: Type.Optional(Type.Array(UserIdString)),
  not_senders: Type.Optional(Type.Array(UserIdString)),
};

/** EventFilter: presence and global account data. */
export const EventFilterSchema = Type.Object(eventFilterFields);

/** RoomEventFilter: a room's ephemeral, state, timeline and account data sections. */
export const RoomEventFilterSchema = Type.Object({
  ...eventFilterFields,
  rooms: Type.Optional(Type.Array(RoomIdString)),
  not_rooms: Type.Optional(Type.Array(RoomIdString)),
  contains_url: Type.Optional(Type.Boolean()),
  lazy_load_members: Type.Optional(Type.Boolean()),
  include_redundant_members: Type.Optional(Type.Boolean()),
  unread_thread_notifications: Type.Optional(Type.Boolean()),
});

/** RoomFilter: the `room` section of a Filter. */
export const RoomFilterSchema = Type.Object({
  rooms: Type.Optional(Type.Array(RoomIdString)),
  not_rooms: Type.Optional(Type.Array(RoomIdString)),
  include_leave: Type.Optional(Type.Boolean()),
  ephemeral: Type.Optional(RoomEventFilterSchema),
  state: Type.Optional(RoomEventFilterSchema),
  timeline: Type.Optional(RoomEventFilterSchema),
  account_data: Type.Optional(RoomEventFilterSchema),
});

/** Filter: the body of `POST /user/{userId}/filter` and the inline `filter` parameter. */
export const FilterSchema = Type.Object({
  event_fields: Type.Optional(Type.Array(Type.String())),
  event_format: Type.Optional(Type.Union([Type.Literal('client'), Type.Literal('federation')])),
  presence: Type.Optional(EventFilterSchema),
  account_data: Type.Optional(EventFilterSchema),
  room: Type.Optional(RoomFilterSchema),
});

export type EventFilterJson = Static<typeof EventFilterSchema>;
export type RoomEventFilterJson = Static<typeof RoomEventFilterSchema>;
export type RoomFilterJson = Static<typeof RoomFilterSchema>;
export type FilterJson = Static<typeof FilterSchema>;
