-- Thumbnails of media (server/media/thumbnails/, docs/media.md). Both tables are keyed by
-- the content's sha256, not the media id: the media store keeps one file per distinct
-- content, and two media ids with the same bytes have the same thumbnails.
--
-- media_thumbnail_sources: what thumbnailing learnt of a content, once: its format and
-- displayed size, or why it cannot be thumbnailed (failure: not_image, corrupt, too_large),
-- so that a later request answers at once instead of decoding it again.
CREATE TABLE media_thumbnail_sources (
  sha256 TEXT PRIMARY KEY,
  format TEXT,
  width INTEGER,
  height INTEGER,
  pages INTEGER,
  failure TEXT,
  checked_ts INTEGER NOT NULL
);

-- media_thumbnails: one row per thumbnail file, added only once its file is complete
-- and in place. width/height are the thumbnail's own (never above the image's);
-- pregenerated: made from thumbnail_sizes after the upload (1) or on demand (0).
CREATE TABLE media_thumbnails (
  sha256 TEXT NOT NULL,
  method TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  animated INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  length INTEGER NOT NULL,
  pregenerated INTEGER NOT NULL,
  created_ts INTEGER NOT NULL,
  PRIMARY KEY (sha256, method, width, height, animated)
);
