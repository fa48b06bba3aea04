-- An item's summary and content in one column, compressed (texts.go):
-- they were most of its bytes, the summary often repeating the start of
-- the content. The migrator's step for this file (fillTexts) packs every
-- item's texts, in batches, and then drops the two text columns, in the
-- same transaction. The space they held is reused by new rows, and the
-- SQLite backend gives free pages back to the file system in the
-- background.

ALTER TABLE items ADD COLUMN texts {{blob}};
