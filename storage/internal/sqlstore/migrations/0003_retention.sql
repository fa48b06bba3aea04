-- Retention. A story's last_seen is the first-seen time of its newest
-- copy; stories are removed oldest last_seen first.
ALTER TABLE stories ADD COLUMN last_seen {{int64}} NOT NULL DEFAULT 0;
UPDATE stories SET last_seen = coalesce((SELECT max(i.first_seen) FROM items i WHERE i.story_id = stories.id), 0);
CREATE INDEX stories_last_seen ON stories (last_seen);

-- A removed item leaves a tombstone, so that a feed still listing it
-- does not bring it back. listed is the last time its feed listed it; a
-- tombstone goes once its feed has stopped listing it for the retention
-- age.
CREATE TABLE tombstones (
	feed_url TEXT NOT NULL,
	guid     TEXT NOT NULL,
	url_key  TEXT NOT NULL DEFAULT '',
	removed  {{int64}} NOT NULL,
	listed   {{int64}} NOT NULL,
	PRIMARY KEY (feed_url, guid)
);
CREATE INDEX tombstones_listed ON tombstones (listed);
