-- The media repository (server/media/, docs/media.md).
--
-- local_media: one row per media id of this server. The content lives in the media store,
-- content-addressed by sha256 (one file per distinct content, shared by every row with the
-- same hash). An async upload (POST /_matrix/media/v1/create) is a row whose length,
-- sha256 and upload_ts are NULL until its content arrives. `authenticated` records whether
-- enable_authenticated_media was on at upload: such media is not served by the legacy
-- unauthenticated download endpoints (Synapse's rule).
CREATE TABLE local_media (
  media_id TEXT PRIMARY KEY,
  user_id TEXT,
  content_type TEXT,
  upload_name TEXT,
  media_length INTEGER,
  sha256 TEXT,
  created_ts INTEGER NOT NULL,
  upload_ts INTEGER,
  quarantined INTEGER NOT NULL DEFAULT 0,
  authenticated INTEGER NOT NULL DEFAULT 0
);

-- Quotas sum a user's uploads over a period; pending uploads are counted per user.
CREATE INDEX local_media_user_created ON local_media (user_id, created_ts);
-- Deleting media asks whether another row still uses the same content file.
CREATE INDEX local_media_sha256 ON local_media (sha256);

-- remote_media_cache: media of other servers fetched and kept here (filled by the remote
-- media work; purged by age). Its files are content-addressed like local media's, and a
-- file is removed only when no local or remote row uses its hash.
CREATE TABLE remote_media_cache (
  media_origin TEXT NOT NULL,
  media_id TEXT NOT NULL,
  content_type TEXT,
  upload_name TEXT,
  media_length INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_ts INTEGER NOT NULL,
  last_access_ts INTEGER NOT NULL,
  quarantined INTEGER NOT NULL DEFAULT 0,
  authenticated INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (media_origin, media_id)
);

CREATE INDEX remote_media_cache_last_access ON remote_media_cache (last_access_ts);
CREATE INDEX remote_media_cache_sha256 ON remote_media_cache (sha256);
