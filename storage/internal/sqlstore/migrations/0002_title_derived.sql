-- An item without a title of its own gets one derived from its text;
-- title_derived says so (feeds.Item.TitleDerived).
ALTER TABLE items ADD COLUMN title_derived {{bool}} NOT NULL DEFAULT {{false}};
