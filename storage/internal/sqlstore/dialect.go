package sqlstore

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Dialect is what one SQL backend supplies to the code shared here: how
// its SQL spells what the standard leaves open, and which of its errors
// mean a full disk. Everything else (the schema, the queries, the story
// algorithm, the readers and the migrator) is written once, here.
type Dialect struct {
	// Name prefixes every error ("sqlite", "postgres").
	Name string

	// Words spell the {{word}} placeholders of the schema and queries:
	//
	//	{{int64}}      a 64-bit integer column
	//	{{serial}}     an integer key column the database can allocate
	//	{{json}}       a column of a JSON array of strings
	//	{{blob}}       a column of bytes
	//	{{bool}}       a boolean column, {{false}} its false
	//	{{cover}}      the columns a band or title index carries after published
	//	{{candidate_indexes}} statements that drop the band and title indexes, where lookups do without them
	//	{{greatest}}   the function of the greatest of its arguments
	//	{{byte_order}} a COLLATE clause that sorts text by its bytes
	//	{{guid_list}}  a query of the strings of the JSON array $2
	//	{{id_list}}    a query of the integers of the JSON array $1
	//	{{item_id}}    the ID of a new item: $1, or the database's next if NULL
	//	{{story_id}}   the story of a new item: $2, or the database's next if NULL
	//	{{now}}        the current time, for schema_migrations.applied
	//	{{applied}}    the type of schema_migrations.applied
	//	{{rebuilt}}    statements that finish the items and stories tables rebuilt by a migration: deferred checks, ID sequences
	Words map[string]string

	// Positional is how parameters are written: "$" ($N, as the queries
	// here are written) or "?" (SQLite's ? or ?NNN).
	Positional string

	// StoryPage is the query of one page of stories (see StoriesQuery);
	// PageArgs returns its arguments for a query.
	StoryPage string
	PageArgs  func(tag string, limit int) []any

	// Classify returns err, or an error matching storage.ErrFull that
	// wraps it when err says the disk or the database is full.
	Classify func(err error) error

	once     sync.Once
	replacer *strings.Replacer
}

var numbered = regexp.MustCompile(`\$([0-9]+)`)

// SQL returns q in the dialect: its {{words}} spelled out and its $N
// parameters numbered the dialect's way.
func (d *Dialect) SQL(q string) string {
	d.once.Do(func() {
		var pairs []string
		for w, s := range d.Words {
			pairs = append(pairs, "{{"+w+"}}", s)
		}
		d.replacer = strings.NewReplacer(pairs...)
	})
	q = d.replacer.Replace(q)
	if d.Positional == "?" {
		q = questionMarks(q)
	}
	return q
}

// questionMarks returns q with its $N parameters as SQLite's: plain ?
// where they appear once each, in order, else ?N. (A named parameter
// costs a driver such as modernc.org/sqlite a lookup of its name at every
// run.)
func questionMarks(q string) string {
	n := 0
	inOrder := true
	for _, m := range numbered.FindAllStringSubmatch(q, -1) {
		n++
		if m[1] != strconv.Itoa(n) {
			inOrder = false
			break
		}
	}
	if inOrder {
		return numbered.ReplaceAllString(q, "?")
	}
	return numbered.ReplaceAllString(q, "?$1")
}

// wrap returns err classified by the dialect.
func (d *Dialect) wrap(err error) error {
	if err == nil || d.Classify == nil {
		return err
	}
	return d.Classify(err)
}
