// Package sqlstore is what the SQL backends of storage (storage/sqlite
// and storage/postgres) share: the schema and its migrator, the
// statements, the story algorithm (Tx: how an item joins or starts a
// story, which copy represents it, when the revision moves) and the
// readers of feeds, stories and stats (Reader), with the column
// encodings and row scanning they use.
//
// A backend supplies a Dialect (how its SQL spells types, parameters
// and a few functions, and which of its errors mean a full disk) and
// what only it does: how it opens and locks, how transactions are
// grouped and whether it picks row IDs itself (Tx.PickIDs), and, for
// SQLite, an in-memory Index of recent stories.
package sqlstore
