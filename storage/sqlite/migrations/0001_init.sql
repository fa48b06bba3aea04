-- Feed state, one row per configured feed.
CREATE TABLE feeds (
	url           TEXT PRIMARY KEY,
	fetch_url     TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL DEFAULT '',
	site_url      TEXT NOT NULL DEFAULT '',
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	body_hash     TEXT NOT NULL DEFAULT '',
	state         TEXT NOT NULL DEFAULT 'new',
	http_status   INTEGER NOT NULL DEFAULT 0,
	errors        INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	last_fetch    INTEGER NOT NULL DEFAULT 0, -- unix nanoseconds, 0 for the zero time
	last_success  INTEGER NOT NULL DEFAULT 0,
	next_poll     INTEGER NOT NULL DEFAULT 0
);

-- A story is a cluster of items; its keys and published time are those of
-- its representative (earliest) item. uid never changes.
CREATE TABLE stories (
	id          INTEGER PRIMARY KEY,
	uid         TEXT NOT NULL UNIQUE,
	rep_item_id INTEGER,
	published   INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	url_key     TEXT NOT NULL DEFAULT '',
	title_key   TEXT NOT NULL DEFAULT '',
	band0       INTEGER NOT NULL,
	band1       INTEGER NOT NULL,
	band2       INTEGER NOT NULL,
	band3       INTEGER NOT NULL,
	simhash     INTEGER NOT NULL
);
CREATE INDEX stories_published ON stories (published DESC, id DESC);
CREATE INDEX stories_band0 ON stories (band0, published, rep_item_id);
CREATE INDEX stories_band1 ON stories (band1, published, rep_item_id);
CREATE INDEX stories_band2 ON stories (band2, published, rep_item_id);
CREATE INDEX stories_band3 ON stories (band3, published, rep_item_id);
CREATE INDEX stories_title ON stories (title_key, published, rep_item_id);

CREATE TABLE items (
	id         INTEGER PRIMARY KEY,
	story_id   INTEGER NOT NULL REFERENCES stories (id) DEFERRABLE INITIALLY DEFERRED,
	feed_url   TEXT NOT NULL,
	guid       TEXT NOT NULL,
	url        TEXT NOT NULL DEFAULT '',
	url_key    TEXT NOT NULL DEFAULT '',
	title      TEXT NOT NULL DEFAULT '',
	summary    TEXT NOT NULL DEFAULT '',
	content    TEXT NOT NULL DEFAULT '',
	author     TEXT NOT NULL DEFAULT '',
	lang       TEXT NOT NULL DEFAULT '',
	categories TEXT,                       -- JSON array, NULL when empty
	tags       TEXT,                       -- JSON array, NULL when empty
	hash       TEXT NOT NULL DEFAULT '',
	title_key  TEXT NOT NULL DEFAULT '',
	simhash    INTEGER NOT NULL DEFAULT 0,
	published  INTEGER NOT NULL DEFAULT 0,
	updated    INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL DEFAULT 0,
	feed_title TEXT NOT NULL DEFAULT '',
	UNIQUE (feed_url, guid)
);
CREATE INDEX items_story ON items (story_id, published, id);
CREATE INDEX items_url_key ON items (url_key, published, id);

-- One row: revision changes whenever a story is created or changed.
CREATE TABLE meta (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	revision INTEGER NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);
