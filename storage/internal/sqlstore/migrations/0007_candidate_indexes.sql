-- Candidate lookups without band and title indexes where the backend
-- answers them otherwise (SQLite keeps the keys of
-- recent stories in memory and reads the rest of a window in publication
-- order, storage/sqlite/window.go). Nine indexes whose inserts land at
-- random places changed most of their leaf pages in every commit: on a
-- first poll of 10,000 feeds they were half of its system time and a
-- tenth of the file. PostgreSQL, shared by several instances, keeps them.

{{candidate_indexes}}
