package fetch

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkFetch fetches a small feed from a local server over a kept-alive
// connection, without host spacing.
func BenchmarkFetch(b *testing.B) {
	for _, tt := range []struct {
		name string
		enc  string
		etag string
	}{
		{"plain", "", ""},
		{"gzip", "gzip", ""},
		{"not modified", "", `"v1"`},
	} {
		b.Run(tt.name, func(b *testing.B) {
			body := compress(b, tt.enc, []byte(rss))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("If-None-Match") == `"v1"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				if tt.enc != "" {
					w.Header().Set("Content-Encoding", tt.enc)
				}
				w.Header().Set("ETag", `"v1"`)
				w.Write(body)
			}))
			defer srv.Close()
			f := New(Options{HostDelay: -1})
			defer f.Close()
			r := Request{URL: srv.URL + "/feed", ETag: tt.etag}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Fetch(b.Context(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
