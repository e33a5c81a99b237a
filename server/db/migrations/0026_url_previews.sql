-- URL previews (server/media/preview/, docs/media.md "URL previews").
--
-- url_previews: what GET /preview_url answered for a URL, kept so that a repeat request
-- (and a request with a `ts` inside the answer's lifetime) does not fetch the URL again.
-- One row per fetch: `og_json` holds the OpenGraph answer, or NULL for a failure, whose
-- HTTP status, errcode and message are kept (failures live briefly: see expires_ts).
-- `media_id` is the local media made from the page's image, if any (NULL otherwise), so
-- that media clean-up can find which previews point at it.
CREATE TABLE url_previews (
  url TEXT NOT NULL,
  fetched_ts INTEGER NOT NULL,
  expires_ts INTEGER NOT NULL,
  og_json TEXT,
  error_status INTEGER,
  error_errcode TEXT,
  error_message TEXT,
  media_id TEXT,
  PRIMARY KEY (url, fetched_ts)
);

-- Expired rows are deleted by age.
CREATE INDEX url_previews_expires ON url_previews (expires_ts);
