package fetch

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("request over %s, want HTTP/2", r.Proto)
		}
		w.Write([]byte(rss))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	f := newFetcher(t, Options{})
	// Trust the test certificate, keeping everything else of the built transport.
	tr := f.client.Transport.(*http.Transport)
	tr.TLSClientConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	res, err := f.Fetch(t.Context(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != rss {
		t.Errorf("Body = %q, want %q", res.Body, rss)
	}
}

// TestKeepAlive checks that every kind of response leaves its connection
// reusable.
func TestKeepAlive(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
		case "/feed":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Write([]byte(rss))
		default:
			http.Error(w, "no such feed", http.StatusNotFound)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	f := newFetcher(t, Options{})
	for _, r := range []Request{
		{URL: srv.URL + "/feed"},
		{URL: srv.URL + "/feed", ETag: `"v1"`},
		{URL: srv.URL + "/moved"},
		{URL: srv.URL + "/missing"},
		{URL: srv.URL + "/feed"},
	} {
		_, _ = f.Fetch(t.Context(), r)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server accepted %d connections for sequential fetches, want 1", n)
	}
}
