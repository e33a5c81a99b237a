-- The account-data stream's position is max(stream_id) over the whole table (userdata/store.ts
-- getAccountDataStreamId), read by /sync after each commit (sync/stream-positions.ts). The
-- only index led with user_id, so that read walked all of it: 2.6 ms at 100,000 rows, a
-- server of 5,000 users with 20 entries each. An index on stream_id alone makes it one
-- B-tree descent. Older code runs on this unchanged (an index it does not know of).

CREATE INDEX account_data_by_stream_id ON account_data (stream_id);
