-- Rooms, events (the DAG and its auth chains), state groups and current state.
-- See docs/events-design.md.

CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY,
  room_version TEXT NOT NULL,
  creator TEXT,
  is_public INTEGER NOT NULL DEFAULT 0,
  created_ts INTEGER NOT NULL
);

-- One row per PDU. stream_ordering is the position clients page and sync by; outliers
-- (events known without their state, e.g. from auth chains) get one too but are never
-- served in timelines.
CREATE TABLE events (
  stream_ordering INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT,
  sender TEXT NOT NULL,
  depth INTEGER NOT NULL,
  origin_server_ts INTEGER NOT NULL,
  outlier INTEGER NOT NULL DEFAULT 0,
  rejected_reason TEXT,
  redacted_by TEXT,
  -- the state group holding the state after this event (null for outliers and rejects)
  state_group INTEGER
);
CREATE INDEX events_by_room ON events (room_id, stream_ordering);

-- The PDU as signed, apart from `events` so scans of the latter stay small.
CREATE TABLE event_json (
  event_id TEXT PRIMARY KEY,
  json TEXT NOT NULL
);

CREATE TABLE event_edges (
  event_id TEXT NOT NULL,
  prev_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
);
CREATE INDEX event_edges_by_prev ON event_edges (prev_event_id);

CREATE TABLE event_auth (
  event_id TEXT NOT NULL,
  auth_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, auth_event_id)
);

-- The transitive auth chain of each event, written with it (auth chains are immutable).
CREATE TABLE event_auth_chain (
  event_id TEXT NOT NULL,
  chain_event_id TEXT NOT NULL,
  PRIMARY KEY (event_id, chain_event_id)
);

CREATE TABLE room_forward_extremities (
  room_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
);

-- State after an event: a delta over prev_group, or a full snapshot (prev_group null).
CREATE TABLE state_groups (
  id INTEGER PRIMARY KEY,
  room_id TEXT NOT NULL,
  prev_group INTEGER REFERENCES state_groups (id),
  -- how many deltas lie between this group and the snapshot it builds on
  delta_depth INTEGER NOT NULL
);

-- A delta row; a null event_id removes the key (state resolution may drop state).
CREATE TABLE state_group_entries (
  group_id INTEGER NOT NULL REFERENCES state_groups (id),
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT,
  PRIMARY KEY (group_id, type, state_key)
);

CREATE TABLE current_state (
  room_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state_key TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (room_id, type, state_key)
);
