package sqlstore

import (
	"database/sql"
	"slices"
	"testing"
	"testing/fstest"
	"time"
)

func TestPending(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0010_later.sql": {Data: []byte("B")},
		"migrations/0002_next.sql":  {Data: []byte("A2")},
		"migrations/0001_init.sql":  {Data: []byte("A1")},
	}
	tests := []struct {
		have int
		want []string
	}{
		{0, []string{"0001_init.sql", "0002_next.sql", "0010_later.sql"}},
		{1, []string{"0002_next.sql", "0010_later.sql"}},
		{2, []string{"0010_later.sql"}},
		{10, nil},
	}
	for _, tt := range tests {
		ms, err := Pending(fsys, tt.have)
		if err != nil {
			t.Fatalf("Pending(%d): %v", tt.have, err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Pending(%d) = %q, want %q", tt.have, got, tt.want)
		}
	}
	if ms, _ := Pending(fsys, 1); ms[0].Version != 2 || ms[0].SQL != "A2" {
		t.Errorf("Pending(1)[0] = %+v, want version 2 with SQL A2", ms[0])
	}
}

func TestPendingFails(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		have int
	}{
		{"newer", fstest.MapFS{"migrations/0001_init.sql": {}}, 2},
		{"none", fstest.MapFS{}, 0},
		{"unnumbered", fstest.MapFS{"migrations/init.sql": {}}, 0},
		{"zero", fstest.MapFS{"migrations/0000_init.sql": {}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ms, err := Pending(tt.fsys, tt.have); err == nil {
				t.Errorf("Pending = %+v, want an error", ms)
			}
		})
	}
}

func TestNanos(t *testing.T) {
	tests := []struct {
		in, want time.Time
	}{
		{time.Time{}, time.Time{}},
		{time.Date(2026, 3, 1, 12, 0, 0, 123, time.FixedZone("x", 3600)), time.Date(2026, 3, 1, 11, 0, 0, 123, time.UTC)},
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, minTime.UnixNano()).UTC()},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, maxTime.UnixNano()).UTC()},
	}
	for _, tt := range tests {
		if got := Time(Nanos(tt.in)); !got.Equal(tt.want) || got.Location() != tt.want.Location() {
			t.Errorf("Time(Nanos(%v)) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestList(t *testing.T) {
	if got := List(nil); got != nil {
		t.Errorf("List(nil) = %v, want nil", got)
	}
	in := []string{"a<b>&c", `"q"`, "é"}
	enc := List(in)
	if want := `["a<b>&c","\"q\"","é"]`; enc != want {
		t.Errorf("List(%q) = %v, want %s", in, enc, want)
	}
	got, err := Unlist(sql.NullString{String: enc.(string), Valid: true})
	if err != nil || !slices.Equal(got, in) {
		t.Errorf("Unlist(%v) = %q, %v; want %q", enc, got, err, in)
	}
	if got, err := Unlist(sql.NullString{}); got != nil || err != nil {
		t.Errorf("Unlist(NULL) = %q, %v; want nil, nil", got, err)
	}
	if _, err := Unlist(sql.NullString{String: "{", Valid: true}); err == nil {
		t.Error("Unlist({) succeeded, want an error")
	}
}

func TestDialectSQL(t *testing.T) {
	tests := []struct {
		positional, want string
	}{
		{"$", "SELECT max(updated, $1) FROM t WHERE a = $12 COLLATE BINARY"},
		{"?", "SELECT max(updated, ?1) FROM t WHERE a = ?12 COLLATE BINARY"},
	}
	for _, tt := range tests {
		d := &Dialect{Words: map[string]string{"greatest": "max", "byte_order": "COLLATE BINARY"}, Positional: tt.positional}
		if got := d.SQL("SELECT {{greatest}}(updated, $1) FROM t WHERE a = $12 {{byte_order}}"); got != tt.want {
			t.Errorf("SQL with %q parameters = %q, want %q", tt.positional, got, tt.want)
		}
	}
	// Parameters used once each, in order, need no numbers.
	d := &Dialect{Positional: "?"}
	if got, want := d.SQL("INSERT INTO t VALUES ($1, $2, $3)"), "INSERT INTO t VALUES (?, ?, ?)"; got != want {
		t.Errorf("SQL = %q, want %q", got, want)
	}
}
