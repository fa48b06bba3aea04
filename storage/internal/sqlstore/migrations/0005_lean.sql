-- A leaner schema, converted in place (issue 13).
--
-- Items name their feed and outlet by the ID of an interned string
-- (names) instead of repeating the feed's URL and the outlet's name as
-- text in every row and again in the unique index. Stories keep no copy
-- of their representative's keys as text: the title index holds a
-- 64-bit hash of the title key (KeyHash), and the canonical URL, which
-- no query of stories read, is gone; items are found by URL through a
-- hash of it too. Candidate lookups confirm each hash against the
-- representative's keys, so a collision costs a row read, never a wrong
-- answer. Story uids are unique by construction (StoryUID) and no query
-- looks one up, so they carry no index. Tombstones name their feed by
-- ID and drop the canonical URL nothing read.
--
-- The tables are rebuilt (new tables, rows copied, old dropped, new
-- renamed), as SQLite cannot drop a column of a unique constraint; the
-- hashes are filled in by the migrator's step for this file (fillLean),
-- in the same transaction.

CREATE TABLE names (
	id   {{serial}} PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
INSERT INTO names (name)
	SELECT feed_url FROM items UNION SELECT feed_title FROM items UNION SELECT feed_url FROM tombstones;

CREATE TABLE stories_new (
	id          {{serial}} PRIMARY KEY,
	uid         TEXT NOT NULL,
	rep_item_id {{int64}},
	published   {{int64}} NOT NULL,
	updated     {{int64}} NOT NULL,
	last_seen   {{int64}} NOT NULL DEFAULT 0,
	title_hash  {{int64}} NOT NULL DEFAULT 0, -- KeyHash of the title key, 0 for none
	simhash     {{int64}} NOT NULL,
	band0       INTEGER NOT NULL,
	band1       INTEGER NOT NULL,
	band2       INTEGER NOT NULL,
	band3       INTEGER NOT NULL,
	body_band0  INTEGER,
	body_band1  INTEGER,
	body_band2  INTEGER,
	body_band3  INTEGER
);
INSERT INTO stories_new (id, uid, rep_item_id, published, updated, last_seen, simhash,
	band0, band1, band2, band3, body_band0, body_band1, body_band2, body_band3)
	SELECT id, uid, rep_item_id, published, updated, last_seen, simhash,
		band0, band1, band2, band3, body_band0, body_band1, body_band2, body_band3 FROM stories;

-- Small columns first, the texts last.
CREATE TABLE items_new (
	id            {{serial}} PRIMARY KEY,
	story_id      {{int64}} NOT NULL REFERENCES stories_new (id) DEFERRABLE INITIALLY DEFERRED,
	feed_id       {{int64}} NOT NULL, -- names: the feed's configured URL
	outlet_id     {{int64}} NOT NULL, -- names: the outlet's name when the item was stored
	published     {{int64}} NOT NULL DEFAULT 0,
	updated       {{int64}} NOT NULL DEFAULT 0,
	first_seen    {{int64}} NOT NULL DEFAULT 0,
	simhash       {{int64}} NOT NULL DEFAULT 0,
	body          {{int64}} NOT NULL DEFAULT 0,
	url_hash      {{int64}} NOT NULL DEFAULT 0, -- KeyHash of url_key, 0 for none
	title_derived {{bool}} NOT NULL DEFAULT {{false}},
	guid          TEXT NOT NULL,
	url           TEXT NOT NULL DEFAULT '',
	url_key       TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL DEFAULT '',
	title_key     TEXT NOT NULL DEFAULT '',
	hash          TEXT NOT NULL DEFAULT '',
	author        TEXT NOT NULL DEFAULT '',
	lang          TEXT NOT NULL DEFAULT '',
	categories    {{json}},
	tags          {{json}},
	summary       TEXT NOT NULL DEFAULT '',
	content       TEXT NOT NULL DEFAULT '',
	UNIQUE (feed_id, guid)
);
INSERT INTO items_new (id, story_id, feed_id, outlet_id, published, updated, first_seen, simhash, body,
	title_derived, guid, url, url_key, title, title_key, hash, author, lang, categories, tags, summary, content)
	SELECT i.id, i.story_id, f.id, o.id, i.published, i.updated, i.first_seen, i.simhash, i.body,
		i.title_derived, i.guid, i.url, i.url_key, i.title, i.title_key, i.hash, i.author, i.lang,
		i.categories, i.tags, i.summary, i.content
	FROM items i JOIN names f ON f.name = i.feed_url JOIN names o ON o.name = i.feed_title;

CREATE TABLE tombstones_new (
	feed_id {{int64}} NOT NULL,
	guid    TEXT NOT NULL,
	removed {{int64}} NOT NULL,
	listed  {{int64}} NOT NULL,
	PRIMARY KEY (feed_id, guid)
);
INSERT INTO tombstones_new (feed_id, guid, removed, listed)
	SELECT f.id, t.guid, t.removed, t.listed FROM tombstones t JOIN names f ON f.name = t.feed_url;

DROP TABLE items;
DROP TABLE tombstones;
DROP TABLE stories;
ALTER TABLE stories_new RENAME TO stories;
ALTER TABLE items_new RENAME TO items;
ALTER TABLE tombstones_new RENAME TO tombstones;
{{rebuilt}}

CREATE INDEX stories_published ON stories (published DESC, id DESC);
CREATE INDEX stories_last_seen ON stories (last_seen);
CREATE INDEX stories_band0 ON stories (band0, published{{cover}});
CREATE INDEX stories_band1 ON stories (band1, published{{cover}});
CREATE INDEX stories_band2 ON stories (band2, published{{cover}});
CREATE INDEX stories_band3 ON stories (band3, published{{cover}});
CREATE INDEX stories_title ON stories (title_hash, published{{cover}});
CREATE INDEX stories_body_band0 ON stories (body_band0, published{{cover}});
CREATE INDEX stories_body_band1 ON stories (body_band1, published{{cover}});
CREATE INDEX stories_body_band2 ON stories (body_band2, published{{cover}});
CREATE INDEX stories_body_band3 ON stories (body_band3, published{{cover}});
CREATE INDEX items_story ON items (story_id, published, id);
CREATE INDEX items_url ON items (url_hash, published, id);
CREATE INDEX tombstones_listed ON tombstones (listed);
