package fetch

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestSniffedCompression(t *testing.T) {
	body := []byte(strings.Repeat(rss, 100))
	json := []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[]}`)
	gz := func(b []byte) []byte { return compress(t, "gzip", b) }
	zl := func(b []byte) []byte { return compress(t, "deflate", b) }
	tests := []struct {
		name   string
		header string // Content-Encoding
		wire   []byte
		want   []byte
	}{
		{"gzip without Content-Encoding", "", gz(body), body},
		{"gzip under identity", "identity", gz(body), body},
		{"zlib without Content-Encoding", "", zl(body), body},
		{"gzip inside gzip", "gzip", gz(gz(body)), body},
		{"zlib inside gzip", "gzip", gz(zl(body)), body},
		{"gzip inside deflate", "deflate", zl(gz(body)), body},
		{"gzip inside gzip without Content-Encoding", "", gz(gz(body)), gz(body)}, // one extra layer, no more
		{"gzip thrice, one extra layer", "gzip", gz(gz(gz(body))), gz(body)},
		{"plain XML", "", body, body},
		{"plain JSON", "", json, json},
		{"gzipped JSON", "", gz(json), json},
		{"empty", "", nil, nil},
		{"one byte", "", []byte{0x1f}, []byte{0x1f}},
		{"gzip magic without the deflate method", "", []byte("\x1f\x8bnot gzip"), []byte("\x1f\x8bnot gzip")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Content-Encoding", tt.header)
				}
				w.Write(tt.wire)
			})
			f := newFetcher(t, Options{})
			res, err := f.Fetch(t.Context(), Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.Body, tt.want) {
				t.Errorf("Body = %.40q… (%d bytes), want %.40q… (%d bytes)", res.Body, len(res.Body), tt.want, len(tt.want))
			}
		})
	}
}

func TestSniffedCorrupt(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("\x1f\x8b\x08 this is not gzip after all"))
	})
	f := newFetcher(t, Options{})
	e := fetchErr(t, f, Request{URL: srv.URL})
	if e.Kind != KindHTTP || !strings.Contains(e.Error(), "gzip without Content-Encoding") {
		t.Errorf("error = %v (kind %v), want %v naming gzip without Content-Encoding", e, e.Kind, KindHTTP)
	}
}

func TestSniffedGzipBomb(t *testing.T) {
	bomb := gzipBomb(t, 1<<30)
	tests := []struct {
		name   string
		header string
		wire   []byte
	}{
		{"gzip without Content-Encoding", "", bomb},
		{"gzip under identity", "identity", bomb},
		{"gzip inside gzip", "gzip", compress(t, "gzip", bomb)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Content-Encoding", tt.header)
				}
				w.Write(tt.wire)
			})
			const max = 1 << 20
			f := newFetcher(t, Options{MaxBody: max})
			var e *Error
			alloc := allocated(func() { e = fetchErr(t, f, Request{URL: srv.URL}) })
			var big *errTooLarge
			if e.Kind != KindTooLarge || !errors.As(e, &big) || big.max != max {
				t.Errorf("error = %v (kind %v), want %v: body exceeds %d bytes", e, e.Kind, KindTooLarge, max)
			}
			if alloc > 32<<20 {
				t.Errorf("fetching a %d-byte gzip bomb allocated %d bytes, want under 32 MiB", len(tt.wire), alloc)
			}
		})
	}
}
