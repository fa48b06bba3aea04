-- A second fingerprint per item, of the text beyond the lead
-- (storage.Keys.Body), 0 for none. Stories index the representative's in
-- four bands like the lead SimHash's; NULL bands, for none, match no
-- lookup.
ALTER TABLE items ADD COLUMN body {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE stories ADD COLUMN body_band0 INTEGER;
ALTER TABLE stories ADD COLUMN body_band1 INTEGER;
ALTER TABLE stories ADD COLUMN body_band2 INTEGER;
ALTER TABLE stories ADD COLUMN body_band3 INTEGER;
CREATE INDEX stories_body_band0 ON stories (body_band0, published{{cover}});
CREATE INDEX stories_body_band1 ON stories (body_band1, published{{cover}});
CREATE INDEX stories_body_band2 ON stories (body_band2, published{{cover}});
CREATE INDEX stories_body_band3 ON stories (body_band3, published{{cover}});
