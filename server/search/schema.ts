import { Type, type Static } from '@sinclair/typebox';
import { RoomEventFilterSchema } from '../sync/filter-schema.js';
import type { SearchKey } from './searchable.js';

/**
 * The body of `POST /search` (data/api/client-server/search.yaml), field for field.
 * Categories other than `room_events` are allowed and ignored (none else is specified).
 */

const Order = Type.Union([Type.Literal('rank'), Type.Literal('recent')]);
const GroupKey = Type.Union([Type.Literal('room_id'), Type.Literal('sender')]);
/** The keys of searchable.ts's SEARCH_KEYS. */
const Key = Type.Union([
  Type.Literal('content.body'),
  Type.Literal('content.name'),
  Type.Literal('content.topic'),
]) satisfies { static: SearchKey };
const ContextLimit = Type.Integer({ minimum: 0 });

export const RoomEventsCriteriaSchema = Type.Object({
  search_term: Type.String(),
  keys: Type.Optional(Type.Array(Key)),
  filter: Type.Optional(RoomEventFilterSchema),
  order_by: Type.Optional(Order),
  event_context: Type.Optional(
    Type.Object({
      before_limit: Type.Optional(ContextLimit),
      after_limit: Type.Optional(ContextLimit),
      include_profile: Type.Optional(Type.Boolean()),
    }),
  ),
  include_state: Type.Optional(Type.Boolean()),
  groupings: Type.Optional(
    Type.Object({ group_by: Type.Optional(Type.Array(Type.Object({ key: GroupKey }))) }),
  ),
});

export const SearchBodySchema = Type.Object({
  search_categories: Type.Object({ room_events: Type.Optional(RoomEventsCriteriaSchema) }),
});

export type RoomEventsCriteria = Static<typeof RoomEventsCriteriaSchema>;
