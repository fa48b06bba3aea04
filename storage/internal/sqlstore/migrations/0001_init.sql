-- The schema of every SQL backend. Words in double braces are the
-- backend's spelling (Dialect.Words): {{int64}} a 64-bit integer,
-- {{serial}} an integer key the database can allocate, {{json}} a JSON
-- array of strings, {{cover}} the columns an index may carry for the
-- lookups that read only the index.

-- Feed state, one row per configured feed. Times are unix nanoseconds
-- (UTC), 0 for the zero time: they round-trip exactly.
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
	last_fetch    {{int64}} NOT NULL DEFAULT 0,
	last_success  {{int64}} NOT NULL DEFAULT 0,
	next_poll     {{int64}} NOT NULL DEFAULT 0
);

-- A story is a cluster of items; its keys and published time are those of
-- its representative (earliest) item. uid never changes.
CREATE TABLE stories (
	id          {{serial}} PRIMARY KEY,
	uid         TEXT NOT NULL UNIQUE,
	rep_item_id {{int64}},
	published   {{int64}} NOT NULL,
	updated     {{int64}} NOT NULL,
	url_key     TEXT NOT NULL DEFAULT '',
	title_key   TEXT NOT NULL DEFAULT '',
	band0       INTEGER NOT NULL,
	band1       INTEGER NOT NULL,
	band2       INTEGER NOT NULL,
	band3       INTEGER NOT NULL,
	simhash     {{int64}} NOT NULL -- the 64 bits as a signed integer
);
CREATE INDEX stories_published ON stories (published DESC, id DESC);
CREATE INDEX stories_band0 ON stories (band0, published{{cover}});
CREATE INDEX stories_band1 ON stories (band1, published{{cover}});
CREATE INDEX stories_band2 ON stories (band2, published{{cover}});
CREATE INDEX stories_band3 ON stories (band3, published{{cover}});
CREATE INDEX stories_title ON stories (title_key, published{{cover}});

CREATE TABLE items (
	id         {{serial}} PRIMARY KEY,
	story_id   {{int64}} NOT NULL REFERENCES stories (id) DEFERRABLE INITIALLY DEFERRED,
	feed_url   TEXT NOT NULL,
	guid       TEXT NOT NULL,
	url        TEXT NOT NULL DEFAULT '',
	url_key    TEXT NOT NULL DEFAULT '',
	title      TEXT NOT NULL DEFAULT '',
	summary    TEXT NOT NULL DEFAULT '',
	content    TEXT NOT NULL DEFAULT '',
	author     TEXT NOT NULL DEFAULT '',
	lang       TEXT NOT NULL DEFAULT '',
	categories {{json}},                     -- NULL when empty
	tags       {{json}},                     -- NULL when empty
	hash       TEXT NOT NULL DEFAULT '',
	title_key  TEXT NOT NULL DEFAULT '',
	simhash    {{int64}} NOT NULL DEFAULT 0,
	published  {{int64}} NOT NULL DEFAULT 0,
	updated    {{int64}} NOT NULL DEFAULT 0,
	first_seen {{int64}} NOT NULL DEFAULT 0,
	feed_title TEXT NOT NULL DEFAULT '',
	UNIQUE (feed_url, guid)
);
CREATE INDEX items_story ON items (story_id, published, id);
CREATE INDEX items_url_key ON items (url_key, published, id);

-- One row: revision changes whenever a story is created or changed.
CREATE TABLE meta (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	revision {{int64}} NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);
