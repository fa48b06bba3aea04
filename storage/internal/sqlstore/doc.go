// Package sqlstore holds what the SQL backends of storage (storage/sqlite
// and storage/postgres) share: the column lists and row scanning of feeds
// and items, the encoding of times and string lists in columns, the
// assembly of stories from query rows and the ordering of embedded schema
// migrations. The SQL text that differs between dialects ($1 or ?, locks,
// upserts) stays in the backends.
package sqlstore
