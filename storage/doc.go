// Package storage defines how feedmerge persists feeds, items and stories:
// the Store interface every backend satisfies, the transaction (Tx) used to
// save one fetched feed atomically, and the sentinel errors.
//
// Backends live in sub-packages: storage/sqlite (the default) and
// storage/postgres (several instances on one database). storage/storagetest
// is the conformance suite both run; storage/internal/sqlstore holds what
// they share: the schema, the story algorithm and the readers, above a
// small dialect each backend supplies.
package storage
